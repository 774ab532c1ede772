"""Ray casting against wall sections: seams, nearest hit, facing, pixel coordinates."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stage.core.config.wall_geometry import pixel_positions, section_set, wall_sections
from stage.core.config.walls import CeilingWall, CurvedWall, FlatWall
from stage.core.geometry import raycast
from stage.core.geometry.raycast import WallHit, cast_rays

CURVED = CurvedWall(
    name="main", kind="curved",
    arc={"center_m": (0.0, 0.0), "radius_m": 6.0, "start_deg": 223.728866, "end_deg": -43.728866},
    height_m=6.0, columns=56, resolution_px=(56 * 24, 48), output={"node": "n"},
)  # fmt: skip
CEILING = CeilingWall(
    name="ceiling", kind="ceiling",
    corners={"lower_left": (-4.0, 5.0, 5.9), "lower_right": (4.0, 5.0, 5.9), "upper_left": (-4.0, -1.0, 5.9)},
    resolution_px=(80, 60), output={"node": "n"},
)  # fmt: skip
FLAT = FlatWall(
    name="flat", kind="flat",
    corners={"lower_left": (-2.0, 3.0, 0.0), "lower_right": (2.0, 3.0, 0.0), "upper_left": (-2.0, 3.0, 2.0)},
    resolution_px=(40, 20), output={"node": "n"},
)  # fmt: skip
SET = section_set([CURVED, CEILING])


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(st.floats(-3, 3), st.floats(-3, 3), st.floats(0.2, 5.0)),
    st.integers(0, 54),
    st.floats(0.001, 0.999),
)
def test_ray_at_a_seam_hits_exactly_the_right_hand_section(origin, seam: int, height: float) -> None:
    sections = wall_sections(CURVED)
    left, right = sections[seam], sections[seam + 1]
    target = left.lower_right + height * (left.upper_left - left.lower_left)
    hits = cast_rays(origin, target - np.asarray(origin), section_set([CURVED]))
    assert hits.hit[0] and hits.wall_section[0] == seam + 1
    assert hits.u_px[0] == pytest.approx(right.pixel_rect[0], abs=1e-6)
    assert np.floor(hits.u_px[0]) == right.pixel_rect[0]
    np.testing.assert_allclose(hits.point_m[0], target, atol=1e-9)


def test_rays_through_every_pixel_centre_find_that_pixel() -> None:
    eye = np.array([0.7, -1.3, 1.6])
    centres = pixel_positions(CURVED).astype(float).reshape(-1, 3)
    hits = cast_rays(np.broadcast_to(eye, centres.shape), centres - eye, section_set([CURVED]))
    assert hits.hit.all() and (hits.wall == 0).all()
    rows, cols = np.divmod(np.arange(centres.shape[0]), 1344)
    np.testing.assert_allclose(hits.u_px, cols + 0.5, atol=1e-3)
    np.testing.assert_allclose(hits.v_px, rows + 0.5, atol=1e-3)
    np.testing.assert_array_equal(hits.wall_section, cols // 24)
    np.testing.assert_allclose(hits.t, 1.0, atol=1e-6)


def test_nearest_wall_wins_and_back_faces_do_not_count() -> None:
    both = section_set([CURVED, FLAT])
    origin, forward = np.zeros((1, 3)) + [0, 0, 1], np.array([[0.0, 1.0, 0.0]])
    front = cast_rays(origin, forward, both)
    assert front.at(0) == WallHit(1, "flat", 0, 3.0, (0.0, 3.0, 1.0), 20.0, 10.0)
    # From behind the flat wall it is a back face: the ray goes on to the curved wall.
    behind = cast_rays([[0.0, 4.0, 1.0]], forward, both)
    assert behind.wall[0] == 0 and behind.t[0] == pytest.approx(2.0)
    two = cast_rays([[0.0, 4.0, 1.0]], -forward, both, two_sided=True)
    assert two.wall[0] == 1 and two.t[0] == pytest.approx(1.0)


def test_misses_and_ceiling() -> None:
    rays = cast_rays([[0, 0, 1.0], [0, 0, 1.0], [0, 0, 7.0]], [[0, 0, 1.0], [0, 0, -1.0], [0, 0, 1.0]], SET)
    assert rays.hit.tolist() == [True, False, False]
    assert rays.at(1) is None and np.isnan(rays.u_px[1]) and rays.section[1] == -1 and rays.t[1] == np.inf
    up = rays.at(0)
    assert up is not None and up.wall_name == "ceiling" and up.t == pytest.approx(4.9)
    # (0, 0) is 4 m from the ceiling's left edge and 1 m from its "upper" (−Y) edge: 10 px per metre.
    assert (up.u_px, up.v_px) == pytest.approx((40.0, 10.0))


def test_chunking_gives_identical_results(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    d = rng.normal(size=(500, 3))
    o = rng.uniform(-2, 2, size=(500, 3)) + [0, 0, 2]
    whole = cast_rays(o, d, SET)
    monkeypatch.setattr(raycast, "_CHUNK_ELEMENTS", 100)
    chunked = cast_rays(o, d, SET)
    np.testing.assert_array_equal(whole.section, chunked.section)
    np.testing.assert_allclose(whole.u_px, chunked.u_px, rtol=1e-12)  # BLAS may round differently per size
    assert 0.3 < whole.hit.mean() < 0.9
