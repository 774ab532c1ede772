"""Inner-frustum footprints on wall sections."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stage.core.config.wall_geometry import pixel_positions, wall_sections
from stage.core.config.walls import CurvedWall, FlatWall
from stage.core.geometry.footprint import CameraFrustum, polygon_area, section_footprint, wall_footprints
from stage.core.pose import Pose

# 8 m × 4.5 m at y = 5 m, 100 px per metre.
FLAT = FlatWall(
    name="flat", kind="flat",
    corners={"lower_left": (-4.0, 5.0, 0.0), "lower_right": (4.0, 5.0, 0.0), "upper_left": (-4.0, 5.0, 4.5)},
    resolution_px=(800, 450), output={"node": "n"},
)  # fmt: skip
SECTION = wall_sections(FLAT)[0]
SENSOR = (36.0, 24.0)


def _bounds(polygon: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    a = np.array(polygon)
    return a[:, 0].min(), a[:, 0].max(), a[:, 1].min(), a[:, 1].max()


def test_straight_on_rectangle_by_hand() -> None:
    # d = 5 m, f = 35 mm: 36 × 5 / 35 = 5.142857 m wide, 24 × 5 / 35 = 3.428571 m high → ×100 px/m.
    frustum = CameraFrustum.from_camera(Pose((0.0, 0.0, 2.25), (0.0, 0.0, 0.0)), 35.0, SENSOR)
    polygon = section_footprint(SECTION, frustum)
    assert len(polygon) == 4
    half_w, half_h = 100 * 18 * 5 / 35, 100 * 12 * 5 / 35
    assert _bounds(polygon) == pytest.approx((400 - half_w, 400 + half_w, 225 - half_h, 225 + half_h))
    assert polygon_area(polygon) == pytest.approx(4 * half_w * half_h)  # positive: clockwise on the image


def test_overscan_and_entrance_pupil_and_clipping_at_the_wall_edge() -> None:
    # Pupil 0.14 m forward → d = 4.86 m; overscan 10 %; centre at z = 1.5 → clipped at the wall's bottom row.
    frustum = CameraFrustum.from_camera(Pose((0.5, 0.0, 1.5), (0.0, 0.0, 0.0)), 35.0, SENSOR, 10.0, 0.14)
    half_w, half_h = 100 * 18 * 4.86 / 35 * 1.1, 100 * 12 * 4.86 / 35 * 1.1
    assert _bounds(section_footprint(SECTION, frustum)) == pytest.approx(
        (450 - half_w, 450 + half_w, 300 - half_h, 450)
    )


@pytest.mark.parametrize(
    "pose",
    [
        Pose((0.0, 0.0, 1.5), (180.0, 0.0, 0.0)),  # looking away
        Pose((0.0, 0.0, 1.5), (0.0, 89.0, 0.0)),  # looking straight up, wall outside the view
        Pose((0.0, 6.0, 1.5), (180.0, 0.0, 0.0)),  # behind the wall, looking at its back
        Pose((9.0, 0.0, 1.5), (0.0, 0.0, 0.0)),  # beside it
    ],
)
def test_unseen_sections_give_empty_polygons(pose: Pose) -> None:
    assert section_footprint(SECTION, CameraFrustum.from_camera(pose, 35.0, SENSOR)) == []


SMALL = FlatWall(
    name="small", kind="flat",
    corners={"lower_left": (-4.0, 5.0, 0.0), "lower_right": (4.0, 5.0, 0.0), "upper_left": (-4.0, 5.0, 4.5)},
    resolution_px=(160, 90), output={"node": "n"},
)  # fmt: skip
SMALL_CENTRES = pixel_positions(SMALL).astype(float)


def _inside(polygon: list[tuple[float, float]], px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Even-odd point-in-polygon test."""
    inside = np.zeros(px.shape, dtype=bool)
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        crosses = (y0 > py) != (y1 > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (px < x_at)
    return inside


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(st.floats(-6, 6), st.floats(-3, 4.5), st.floats(0.0, 4.5)),
    st.tuples(st.floats(-120, 120), st.floats(-85, 85), st.floats(-90, 90)),
    st.floats(8.0, 200.0),
)
def test_footprint_matches_brute_force_over_pixel_centres(position, rotation, focal_length_mm: float) -> None:
    """Any pose, including corner rays parallel to or away from the wall: the polygon holds exactly the
    pixel centres inside the camera's pyramid (up to pixels its edges pass through)."""
    frustum = CameraFrustum.from_camera(Pose(position, rotation), focal_length_mm, SENSOR, overscan_pct=10.0)
    polygon = section_footprint(wall_sections(SMALL)[0], frustum)
    seen = frustum.contains(SMALL_CENTRES)
    if not polygon:
        assert seen.sum() <= 2  # at most a sliver
        return
    cols, rows = np.meshgrid(np.arange(160) + 0.5, np.arange(90) + 0.5)
    in_polygon = _inside(polygon, cols, rows)
    perimeter = sum(
        np.hypot(x1 - x0, y1 - y0) for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1], strict=True)
    )
    assert (in_polygon != seen).sum() <= 2 * perimeter + 4
    assert abs(polygon_area(polygon) - seen.sum()) <= perimeter + 4
    assert polygon_area(polygon) > 0
    a = np.array(polygon)
    assert (a[:, 0] >= 0).all() and (a[:, 0] <= 160).all() and (a[:, 1] >= 0).all() and (a[:, 1] <= 90).all()


def test_curved_wall_footprints_meet_at_seams() -> None:
    curved = CurvedWall(
        name="c", kind="curved", arc={"center_m": (0.0, 0.0), "radius_m": 6.0, "start_deg": 180.0, "end_deg": 0.0},
        height_m=4.0, columns=18, resolution_px=(18 * 40, 160), output={"node": "n"},
    )  # fmt: skip
    frustum = CameraFrustum.from_camera(Pose((0.0, 0.0, 2.0), (0.0, 0.0, 0.0)), 24.0, SENSOR)
    polygons = wall_footprints(wall_sections(curved), frustum)
    seen = [i for i, p in enumerate(polygons) if p]
    assert seen == list(range(seen[0], seen[-1] + 1)) and 4 <= len(seen) <= 8 and seen[0] + seen[-1] == 17
    for i, j in zip(seen, seen[1:], strict=False):
        seam = 40.0 * j
        right_edge = sorted(y for x, y in polygons[i] if x == pytest.approx(seam))
        left_edge = sorted(y for x, y in polygons[j] if x == pytest.approx(seam))
        assert right_edge == pytest.approx(left_edge, abs=1e-6)
