"""Generalized perspective projection: hand-derived matrices and properties."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from stage.core.config.wall_geometry import wall_sections
from stage.core.config.walls import FlatWall
from stage.core.geometry.kooima import off_axis_projection, section_projection
from stage.core.geometry.pixelmap import pixel_of_point, point_of_pixel
from stage.core.geometry.raycast import SectionSet, cast_rays
from stage.core.geometry.sections import Section
from stage.core.pose import Pose

NEAR, FAR = 0.1, 100.0
A = -(FAR + NEAR) / (FAR - NEAR)
B = -2 * FAR * NEAR / (FAR - NEAR)
# A 2 m × 1 m wall 2 m in front of the origin, bottom edge on the floor.
LL, LR, UL = (-1.0, 2.0, 0.0), (1.0, 2.0, 0.0), (-1.0, 2.0, 1.0)


def test_centred_eye_symmetric_frustum_by_hand() -> None:
    k = off_axis_projection((0.0, 0.0, 0.5), LL, LR, UL, NEAR, FAR)
    # d = 2, n/d = 0.05: l, r = ∓1·0.05, b, t = ∓0.5·0.05.
    np.testing.assert_allclose(k.extents_m, [-0.05, 0.05, -0.025, 0.025], rtol=1e-12)
    assert k.distance_m == 2.0
    np.testing.assert_allclose(k.projection, [[2, 0, 0, 0], [0, 4, 0, 0], [0, 0, A, B], [0, 0, -1, 0]], rtol=1e-12)
    np.testing.assert_allclose(k.rotation, [[1, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, 0], [0, 0, 0, 1]], atol=1e-15)
    np.testing.assert_allclose(k.translation[:3, 3], [0.0, 0.0, -0.5])
    expected = np.array([[2, 0, 0, 0], [0, 0, 4, -2], [0, -A, 0, B], [0, 1, 0, 0]])
    np.testing.assert_allclose(k.clip_from_world, expected, rtol=1e-12, atol=1e-15)


def test_off_centre_eye_by_hand() -> None:
    k = off_axis_projection((0.5, 0.0, 0.25), LL, LR, UL, NEAR, FAR)
    # va = (−1.5, 2, −0.25), vb = (0.5, 2, −0.25), vc = (−1.5, 2, 0.75); n/d = 0.05.
    np.testing.assert_allclose(k.extents_m, [-0.075, 0.025, -0.0125, 0.0375], rtol=1e-12)
    np.testing.assert_allclose(
        k.projection, [[2, 0, -0.5, 0], [0, 4, 0.5, 0], [0, 0, A, B], [0, 0, -1, 0]], rtol=1e-12, atol=1e-15
    )
    expected = np.array([[2, 0.5, 0, -1], [0, -0.5, 4, -1], [0, -A, 0, B], [0, 1, 0, 0]])
    np.testing.assert_allclose(k.clip_from_world, expected, rtol=1e-12, atol=1e-15)
    for corner, ndc in [(LL, (-1, -1)), ((1.0, 2.0, 1.0), (1, 1))]:
        clip = k.clip_from_world @ np.array([*corner, 1.0])
        np.testing.assert_allclose(clip[:2] / clip[3], ndc, atol=1e-12)


def test_view_matches_pose_for_a_wall_straight_ahead() -> None:
    eye = (0.3, -1.0, 1.2)
    k = off_axis_projection(eye, LL, LR, UL, NEAR, FAR)
    np.testing.assert_allclose(k.view, Pose(eye, (0.0, 0.0, 0.0)).view_matrix(), atol=1e-12)


def _wall(ll, lr, ul, res=(400, 300)) -> FlatWall:
    return FlatWall(
        name="w", kind="flat", corners={"lower_left": ll, "lower_right": lr, "upper_left": ul},
        resolution_px=res, output={"node": "n"},
    )  # fmt: skip


# A tilted, rotated 4 m × 3 m wall: right = (cos 30°, sin 30°, 0), up tilted back 10°.
_R = np.array([np.cos(np.radians(30)), np.sin(np.radians(30)), 0.0])
_N = np.cross(_R, [0.0, 0.0, 1.0])
_U = np.cos(np.radians(10)) * np.array([0.0, 0.0, 1.0]) - np.sin(np.radians(10)) * _N
_LL = np.array([-1.0, 4.0, 0.5])
TILTED = wall_sections(_wall(tuple(_LL), tuple(_LL + 4 * _R), tuple(_LL + 3 * _U)))[0]


def _to_pixel(section: Section, clip_from_world: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """Perspective divide + viewport to the section's pixel_rect (NDC y = +1 at the rect's top row)."""
    clip = clip_from_world @ np.append(p, 1.0)
    ndc = clip[:3] / clip[3]
    x, y, w, h = section.pixel_rect
    return x + (ndc[0] + 1) / 2 * w, y + (1 - ndc[1]) / 2 * h


eyes_in_front = st.tuples(st.floats(-5, 5), st.floats(0.3, 8), st.floats(-3, 5))  # (across, distance, up)


def _eye(section: Section, e: tuple[float, float, float]) -> np.ndarray:
    return section.lower_left + e[0] * section.right + e[1] * section.normal + e[2] * section.up


@settings(max_examples=100, deadline=None)
@given(eyes_in_front, st.floats(0.0, 400.0), st.floats(0.0, 300.0))
def test_point_on_wall_projects_to_its_own_pixel(e, col: float, row: float) -> None:
    eye = _eye(TILTED, e)
    p = point_of_pixel(TILTED, col, row)
    k = section_projection(TILTED, eye, NEAR, FAR)
    np.testing.assert_allclose(_to_pixel(TILTED, k.clip_from_world, p), (col, row), atol=1e-7)


@settings(max_examples=100, deadline=None)
@given(eyes_in_front, st.floats(0.02, 0.98), st.floats(0.02, 0.98), st.floats(0.05, 20.0))
def test_point_behind_wall_lands_where_the_ray_crosses(e, fx: float, fy: float, depth_m: float) -> None:
    eye = _eye(TILTED, e)
    on_wall = point_of_pixel(TILTED, fx * 400, fy * 300)
    behind = on_wall + (on_wall - eye) / np.linalg.norm(on_wall - eye) * depth_m
    k = section_projection(TILTED, eye, NEAR, FAR)
    hits = cast_rays(eye, behind - eye, SectionSet.from_sections([TILTED]))
    assert hits.hit[0]
    np.testing.assert_allclose(_to_pixel(TILTED, k.clip_from_world, behind), (hits.u_px[0], hits.v_px[0]), atol=1e-6)
    np.testing.assert_allclose(pixel_of_point(TILTED, hits.point_m[0]), (fx * 400, fy * 300), atol=1e-7)


@settings(max_examples=60, deadline=None)
@given(eyes_in_front)
def test_mirrored_eye_gives_mirrored_frustum(e) -> None:
    mirrored = (TILTED.width_m - e[0], e[1], e[2])  # across the wall's vertical centre plane
    k1 = section_projection(TILTED, _eye(TILTED, e), NEAR, FAR)
    k2 = section_projection(TILTED, _eye(TILTED, mirrored), NEAR, FAR)
    l1, r1, b1, t1 = k1.extents_m
    l2, r2, b2, t2 = k2.extents_m
    np.testing.assert_allclose((l2, r2, b2, t2), (-r1, -l1, b1, t1), atol=1e-12)
    np.testing.assert_allclose(k2.projection[0, 2], -k1.projection[0, 2], atol=1e-12)


def test_vectorised_over_eyes() -> None:
    eyes = np.array([[0.0, 0.0, 0.5], [0.5, 0.0, 0.25], [0.2, -3.0, 2.0]])
    stacked = off_axis_projection(eyes, LL, LR, UL, NEAR, FAR)
    assert stacked.clip_from_world.shape == (3, 4, 4)
    for i, eye in enumerate(eyes):
        np.testing.assert_allclose(
            stacked.clip_from_world[i], off_axis_projection(eye, LL, LR, UL, NEAR, FAR).clip_from_world
        )
