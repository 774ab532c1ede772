"""The picture-under-motion benchmark's error computation (pure): rendered pose against the simulated camera's true
pose at the frame's present time."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.picture_motion import DOLLY, frame_errors, pose_error, summary
from stage.core.config.sources import SimulatedSource
from stage.core.pose import rotation_from_ptr
from stage.core.quaternion import rotation_angle_deg
from tracking.simulate import SimulatedMove

MOVE = SimulatedMove(SimulatedSource(**DOLLY))


def test_rotation_angle_is_the_angle_between_orientations_about_any_axis() -> None:
    a = rotation_from_ptr(30.0, 10.0, -5.0)
    assert rotation_angle_deg(a, a) == pytest.approx(0.0, abs=1e-9)
    assert rotation_angle_deg(a, a @ rotation_from_ptr(0.0, 0.0, 0.001)) == pytest.approx(0.001, rel=1e-6)
    assert rotation_angle_deg(rotation_from_ptr(0, 0, 0), rotation_from_ptr(170.0, 0, 0)) == pytest.approx(170.0)
    assert rotation_angle_deg(rotation_from_ptr(179.0, 0, 0), rotation_from_ptr(-179.0, 0, 0)) == pytest.approx(2.0)


def test_pose_error_in_millimetres_and_degrees() -> None:
    mm, deg = pose_error((1.0, 2.0, 1.5), (10.0, 0.0, 0.0), (1.003, 2.004, 1.5), (10.5, 0.0, 0.0))
    assert mm == pytest.approx(5.0) and deg == pytest.approx(0.5)


def test_the_dolly_peaks_at_one_metre_per_second() -> None:
    t0 = 1_796_292_711.0
    speeds = [np.linalg.norm(np.subtract(MOVE.at(t + 0.01).position_m, MOVE.at(t).position_m)) / 0.01
              for t in np.linspace(t0, t0 + DOLLY["period_s"], 2000)]
    assert max(speeds) == pytest.approx(1.0, abs=1e-3)


def _line(t_sample: float, t_present: float, rendered_t: float, dx_m: float = 0.0) -> dict:
    state = MOVE.at(rendered_t)
    x, y, z = state.position_m
    return {"t_present": t_present, "t_frame": t_present - 0.0005, "pose_t": {"cam1": [t_sample, t_sample, t_sample]},
            "pose_position_m": {"cam1": [x + dx_m, y, z]}, "pose_rotation_deg": {"cam1": list(state.rotation_deg)}}


def test_frame_errors_compare_with_the_true_pose_at_present() -> None:
    t = 1_796_292_711.0
    lines = [_line(t, t + 0.020, t + 0.020),  # predicted exactly
             _line(t + 1, t + 1.020, t + 1.020, dx_m=0.001),  # 1 mm off along x
             _line(t + 2, t + 2.020, t + 2.0),  # not predicted: shows the sample
             {"t_present": t, "pose_t": {}, "pose_position_m": {}}]  # no pose of the camera: left out
    errors = frame_errors(lines, MOVE, horizon_ms=18.0)
    assert errors["mm"][0] == pytest.approx(0.0, abs=1e-6) and errors["deg"][0] == pytest.approx(0.0, abs=1e-6)
    assert errors["mm"][1] == pytest.approx(1.0)
    true_step = np.linalg.norm(np.subtract(MOVE.at(t + 2.020).position_m, MOVE.at(t + 2).position_m)) * 1000
    assert errors["mm"][2] == pytest.approx(true_step) and errors["unpredicted_mm"][2] == pytest.approx(true_step)
    assert errors["unpredicted_deg"][2] == pytest.approx(errors["deg"][2])
    # Unix seconds carry about 0.2 µs of resolution
    assert errors["sample_to_present_ms"] == pytest.approx([20.0, 20.0, 20.0], abs=1e-3)
    assert errors["horizon_error_ms"] == pytest.approx([-2.0, -2.0, -2.0], abs=1e-3)
    assert errors["present_after_due_ms"] == pytest.approx([0.5, 0.5, 0.5], abs=1e-3)
    moved = np.linalg.norm(np.subtract(MOVE.at(t + 0.020).position_m, MOVE.at(t + 0.0195).position_m)) * 1000
    assert errors["late_present_mm"][0] == pytest.approx(moved, rel=1e-3)
    assert errors["at_due_mm"][0] == pytest.approx(moved, rel=1e-3)  # rendered for present, compared at due
    assert all(0.0 <= s <= 1.0 + 1e-6 for s in errors["speed_m_s"])
    doc = summary(errors)
    assert doc["frames"] == 3 and doc["mm"]["max"] == pytest.approx(round(max(errors["mm"]), 3))
    assert doc["target_met"] is (doc["mm"]["p99"] < 2.0)
    assert math.isfinite(doc["horizon_error_ms"]["min"])
