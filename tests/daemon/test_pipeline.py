"""Per-camera processing: calibration, lens, latency, unwrap, bad numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stage.core.config.cameras import Camera
from stage.core.config.sources import Calibration
from stage.core.pose import Pose
from tracking.pipeline import CameraPipeline, Held
from tracking.sample import TrackerSample


def camera(**kw) -> Camera:
    data = {"id": "A", "source": "s", "sensor_mm": (36.0, 24.0), "lens": {"kind": "fixed", "focal_length_mm": 35.0}}
    data.update(kw)
    return Camera.model_validate(data)


def sample(pos=(0.0, 0.0, 0.0), rot=(0.0, 0.0, 0.0), t=None, **kw) -> TrackerSample:
    return TrackerSample(source_camera_id="1", position_m=pos, rotation_deg=rot, t_sample=t, **kw)


def test_calibration_rotates_and_translates() -> None:
    # Tracker origin at (1, 2, 0) in the stage, tracker axes panned +90° (tracker +Y = stage −X).
    pipe = CameraPipeline(camera(), "s", Calibration(translation_m=(1.0, 2.0, 0.0), rotation_deg=(90.0, 0.0, 0.0)))
    pose = pipe.process(sample(pos=(0.0, 1.0, 1.5), rot=(0.0, 10.0, 0.0)), t_recv=100.0)
    assert pose.position_m == pytest.approx((0.0, 2.0, 1.5))
    assert pose.rotation_deg == pytest.approx((90.0, 10.0, 0.0))
    np.testing.assert_allclose(pose.body(100.0, False)["world_from_camera"],
                               Pose((0.0, 2.0, 1.5), (90.0, 10.0, 0.0)).world_from_camera(), atol=1e-12)


def test_lens_table_from_encoder_and_tracker_focal_length_otherwise() -> None:
    lens = {"kind": "table", "zoom": [{"encoder": 0.0, "focal_length_mm": 20.0, "entrance_pupil_m": 0.1},
                                      {"encoder": 1.0, "focal_length_mm": 100.0, "entrance_pupil_m": 0.3}]}
    pipe = CameraPipeline(camera(lens=lens), "s", Calibration())
    pose = pipe.process(sample(zoom_encoder=0.25), 1.0)
    assert pose.focal_length_mm == pytest.approx(40.0) and pose.entrance_pupil_m == pytest.approx(0.15)
    fixed = CameraPipeline(camera(), "s", Calibration())
    assert fixed.process(sample(), 1.0).focal_length_mm == 35.0
    assert fixed.process(sample(focal_length_mm=50.0, entrance_pupil_m=0.2), 1.0).focal_length_mm == 50.0


def test_sample_time_defaults_to_receive_time() -> None:
    pipe = CameraPipeline(camera(), "s", Calibration())
    assert pipe.process(sample(), 123.5).t_sample == 123.5
    assert pipe.process(sample(t=99.0), 123.6).t_sample == 99.0


def test_delay_holds_poses_back_in_order() -> None:
    pipe = CameraPipeline(camera(latency={"mode": "delay", "ms": 50}), "s", Calibration())
    first = pipe.process(sample(pos=(1.0, 0, 0)), 10.0, recv_mono=500.0)
    assert isinstance(first, Held) and first.due_mono == pytest.approx(500.05)
    assert isinstance(pipe.process(sample(pos=(2.0, 0, 0)), 10.02, recv_mono=500.02), Held)
    assert pipe.due(500.049) == []
    assert [p.position_m[0] for p in pipe.due(500.05)] == [1.0]
    assert [p.position_m[0] for p in pipe.due(500.08)] == [2.0]
    assert pipe.last.position_m[0] == 2.0


def test_delay_runs_on_the_monotonic_clock_not_the_wall_clock() -> None:
    """A wall-clock step (NTP, an operator) between samples neither stalls nor bursts delayed poses."""
    pipe = CameraPipeline(camera(latency={"mode": "delay", "ms": 50}), "s", Calibration())
    pipe.process(sample(pos=(1.0, 0, 0)), 10.0, recv_mono=500.0)
    pipe.process(sample(pos=(2.0, 0, 0)), 10.0 - 3600.0, recv_mono=500.01)  # wall clock stepped back an hour
    pipe.process(sample(pos=(3.0, 0, 0)), 10.0 + 3600.0, recv_mono=500.02)  # and forward
    assert pipe.next_due() == pytest.approx(500.05)
    assert [p.position_m[0] for p in pipe.due(500.055)] == [1.0]
    assert [p.position_m[0] for p in pipe.due(500.075)] == [2.0, 3.0]


def test_prediction_extrapolates_linear_and_angular_velocity() -> None:
    pipe = CameraPipeline(camera(latency={"mode": "predict", "ms": 100}), "s", Calibration())
    pipe.process(sample(pos=(0.0, 0, 0), rot=(10.0, 0, 0), t=0.0), 0.0)
    pose = pipe.process(sample(pos=(0.1, 0, 0), rot=(12.0, 0, 0), t=0.1), 0.1)
    assert pose.position_m[0] == pytest.approx(0.2) and pose.rotation_deg[0] == pytest.approx(14.0)


def test_prediction_skips_bunched_samples_for_the_velocity() -> None:
    pipe = CameraPipeline(camera(latency={"mode": "predict", "ms": 100}), "s", Calibration())
    pipe.process(sample(pos=(0.0, 0, 0), t=0.0), 0.0)
    pipe.process(sample(pos=(0.1, 0, 0), t=0.1), 0.1)
    pose = pipe.process(sample(pos=(0.1003, 0, 0), t=0.10001), 0.10001)  # 10 µs later, 0.3 mm of noise: 30 m/s
    assert pose.position_m[0] == pytest.approx(0.1003 + 0.1 * 0.1003 / 0.10001)  # the velocity from t = 0: ~1 m/s


def test_prediction_across_180_does_not_jump() -> None:
    pipe = CameraPipeline(camera(latency={"mode": "predict", "ms": 10}), "s", Calibration())
    pipe.process(sample(rot=(179.0, 0, 0), t=0.0), 0.0)
    pose = pipe.process(sample(rot=(-179.0, 0, 0), t=0.01), 0.01)  # +2° through ±180
    assert pose.rotation_deg[0] == pytest.approx(-177.0)


def test_filtered_pan_across_180_does_not_jump() -> None:
    pipe = CameraPipeline(camera(filter={"kind": "one_euro", "min_cutoff_hz": 1.0, "beta": 0.1}), "s", Calibration())
    pans = []
    for i in range(40):
        raw = 170.0 + i  # 170 → 209, sent wrapped
        pose = pipe.process(sample(rot=(((raw + 180) % 360) - 180, 0, 0), t=i / 60), i / 60)
        pans.append(pose.rotation_deg[0])
    steps = [((b - a + 180) % 360) - 180 for a, b in zip(pans, pans[1:], strict=False)]
    assert all(0 <= s <= 1.5 for s in steps), steps  # smooth, never a 360° jump
    assert all(-180 <= p < 180 for p in pans)


def test_non_finite_result_is_dropped_not_published() -> None:
    pipe = CameraPipeline(camera(), "s", Calibration())
    good = pipe.process(sample(pos=(1.0, 2.0, 3.0)), 1.0)
    # A huge focal length from a tracker overflowing to inf cannot come through TrackerSample (it refuses
    # non-finite values), but a finite extreme through an extrapolation can: make prediction overflow.
    pred = CameraPipeline(camera(latency={"mode": "predict", "ms": 1000}), "s", Calibration())
    pred.process(sample(pos=(0.0, 0, 0), t=0.0), 0.0)
    assert pred.process(sample(pos=(1e308, 0, 0), t=0.01), 0.0) is None
    assert good.seq == 0 and pipe.last is good
    assert math.isfinite(pipe.last.position_m[0])
