"""Pose → matrix → pose round trips and the documented rotation signs (stage.core.pose)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stage.core.pose import GL_FROM_STAGE_CAMERA_AXES, Pose

angles = st.tuples(st.floats(-179.9, 179.9), st.floats(-88.9, 88.9), st.floats(-179.9, 179.9))
positions = st.tuples(*(st.floats(-20, 20),) * 3)


@settings(max_examples=100, deadline=None)
@given(positions, angles)
def test_pose_matrix_pose_round_trip(position, rotation) -> None:
    pose = Pose(position, rotation)
    for back in (
        Pose.from_world_from_camera(pose.world_from_camera()),
        Pose.from_stage_from_camera(pose.stage_from_camera()),
    ):
        assert back.position_m == pytest.approx(position, abs=1e-9)
        assert back.rotation_deg == pytest.approx(rotation, abs=1e-6)
    np.testing.assert_allclose(pose.view_matrix() @ pose.world_from_camera(), np.eye(4), atol=1e-9)


def test_rotation_signs() -> None:
    # Positive pan turns from +Y towards −X; positive tilt looks up; positive roll is clockwise from behind.
    np.testing.assert_allclose(Pose((0, 0, 0), (90, 0, 0)).forward, [-1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(Pose((0, 0, 0), (0, 90, 0)).forward, [0, 0, 1], atol=1e-12)
    rolled = Pose((0, 0, 0), (0, 0, 90)).rotation
    np.testing.assert_allclose(rolled[:, 2], [1, 0, 0], atol=1e-12)  # camera up now points right: clockwise


def test_gl_camera_looks_down_minus_z() -> None:
    pose = Pose((1.0, 2.0, 3.0), (30.0, 10.0, 0.0))
    m = pose.world_from_camera()
    np.testing.assert_allclose(-m[:3, 2], pose.forward, atol=1e-12)  # GL −Z = optical axis
    np.testing.assert_allclose(GL_FROM_STAGE_CAMERA_AXES @ [0, 1, 0], [0, 0, -1])
    np.testing.assert_allclose(GL_FROM_STAGE_CAMERA_AXES @ [0, 0, 1], [0, 1, 0])
