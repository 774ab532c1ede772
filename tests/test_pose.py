"""Pose convention (docs/coordinates.md) against matrices written out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stage.core.pose import Pose, ptr_from_rotation, rotation_from_ptr, unwrap_deg

S = math.sqrt(0.5)


def test_zero_rotation_looks_along_plus_y_with_z_up() -> None:
    pose = Pose((1.0, 2.0, 3.0), (0.0, 0.0, 0.0))
    np.testing.assert_allclose(pose.forward, [0, 1, 0])
    # OpenGL camera axes: +X right = stage +X, +Y up = stage +Z, looking down -Z = stage +Y.
    expected = np.array([[1, 0, 0, 1], [0, 0, -1, 2], [0, 1, 0, 3], [0, 0, 0, 1]], dtype=float)
    np.testing.assert_allclose(pose.world_from_camera(), expected, atol=1e-12)


def test_positive_pan_turns_left_towards_minus_x() -> None:
    np.testing.assert_allclose(Pose((0, 0, 0), (90.0, 0, 0)).forward, [-1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(Pose((0, 0, 0), (45.0, 0, 0)).forward, [-S, S, 0], atol=1e-12)


def test_positive_tilt_looks_up() -> None:
    np.testing.assert_allclose(Pose((0, 0, 0), (0, 30.0, 0)).forward, [0, math.cos(math.pi / 6), 0.5], atol=1e-12)


def test_positive_roll_is_clockwise_seen_from_behind() -> None:
    # Clockwise seen from behind: the camera's right axis dips downwards.
    right = Pose((0, 0, 0), (0, 0, 90.0)).rotation[:, 0]
    np.testing.assert_allclose(right, [0, 0, -1], atol=1e-12)


def test_intrinsic_zxy_order_by_hand() -> None:
    # pan 90 then tilt 90: the camera first faces -X, then tilts up to face +Z; its up vector is then +X.
    r = rotation_from_ptr(90.0, 90.0, 0.0)
    np.testing.assert_allclose(r[:, 1], [0, 0, 1], atol=1e-12)  # forward
    np.testing.assert_allclose(r[:, 2], [1, 0, 0], atol=1e-12)  # up
    # pan 90, tilt 0, roll 90: the right axis (which pan turned to +Y) dips down.
    r = rotation_from_ptr(90.0, 0.0, 90.0)
    np.testing.assert_allclose(r[:, 0], [0, 0, -1], atol=1e-12)


def test_view_matrix_inverts_world_from_camera() -> None:
    pose = Pose((0.3, -1.2, 1.7), (33.0, -12.0, 7.0))
    np.testing.assert_allclose(pose.view_matrix() @ pose.world_from_camera(), np.eye(4), atol=1e-12)
    # A point 2 m in front of the camera is at (0, 0, -2) in OpenGL camera space.
    p = np.append(np.asarray(pose.position_m) + 2.0 * pose.forward, 1.0)
    np.testing.assert_allclose(pose.view_matrix() @ p, [0, 0, -2, 1], atol=1e-12)


@pytest.mark.parametrize("ptr", [(10, 20, 30), (-170, 80, -5), (179.5, -60, 120), (0, 0, 0), (-90, 45, -179)])
def test_round_trips_through_both_matrix_forms(ptr: tuple[float, float, float]) -> None:
    pose = Pose((1.0, 2.0, 3.0), ptr)
    for back in (Pose.from_world_from_camera(pose.world_from_camera()),
                 Pose.from_stage_from_camera(pose.stage_from_camera())):
        np.testing.assert_allclose(back.rotation_deg, ptr, atol=1e-9)
        np.testing.assert_allclose(back.position_m, pose.position_m, atol=1e-12)


def test_gimbal_lock_still_gives_the_same_rotation() -> None:
    r = rotation_from_ptr(30.0, 90.0, 20.0)
    np.testing.assert_allclose(rotation_from_ptr(*ptr_from_rotation(r)), r, atol=1e-9)


def test_non_finite_pose_is_refused() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        Pose((0.0, float("nan"), 0.0), (0.0, 0.0, 0.0))


def test_unwrap_crosses_180_without_a_jump() -> None:
    assert unwrap_deg(179.0, -179.0) == pytest.approx(181.0)
    assert unwrap_deg(-179.0, 179.0) == pytest.approx(-181.0)
    assert unwrap_deg(720.0, 1.0) == pytest.approx(721.0)


def test_fast_rows_equal_the_matrix_form() -> None:
    from stage.core.pose import world_from_camera_rows

    rng = np.random.default_rng(3)
    for _ in range(200):
        position = tuple(rng.uniform(-10, 10, 3))
        rotation = tuple(rng.uniform(-400, 400, 3))
        np.testing.assert_allclose(world_from_camera_rows(position, rotation),
                                   Pose(position, rotation).world_from_camera(), atol=1e-12)


def test_closed_form_equals_the_product_of_elementary_rotations() -> None:
    from stage.core.pose import rot_x, rot_y, rot_z

    for ptr in [(10, 20, 30), (-170, 80, -5), (179.5, -60, 120), (33, -89, 7)]:
        np.testing.assert_allclose(rotation_from_ptr(*ptr), rot_z(ptr[0]) @ rot_x(ptr[1]) @ rot_y(ptr[2]), atol=1e-14)


def test_one_unwrap_with_a_documented_tie_rule() -> None:
    """Ties (a step of exactly 180°) go to −180°, the half-open range of ``wrap_deg``; one function everywhere."""
    from stage.app.orchestrator import osc_map
    from stage.core.pose import wrap_deg
    from tracking import oneeuro, pipeline

    assert unwrap_deg(0.0, 180.0) == -180.0
    assert unwrap_deg(0.0, -180.0) == -180.0
    assert unwrap_deg(360.0, 180.0) == 180.0
    assert unwrap_deg(10.0, 190.0) == -170.0
    assert wrap_deg(180.0) == -180.0 and wrap_deg(540.0) == -180.0 and wrap_deg(-180.0) == -180.0
    assert oneeuro.unwrap_deg is unwrap_deg and pipeline.unwrap_deg is unwrap_deg
    assert osc_map.coerce("yaw_deg", 180.0, osc_map.LiveState(), []) == -180.0
