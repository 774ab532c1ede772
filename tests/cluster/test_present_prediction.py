"""``latency.mode: present``: the frame clock extrapolates each latched pose to its frame's due time (pure parts, the
leader's latch, the config check)."""

from __future__ import annotations

from collections import deque
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from stage.app.cli import main
from stage.app.orchestrator.children import CLOCK, TRACKING, reload_plan
from stage.core.cluster.leader import FrameLeader, Inputs, LeaderSettings
from stage.core.cluster.present import predict_to_present, present_offsets_s, previous_sample
from stage.core.config.loader import load_stage_config
from stage.core.pose import Pose
from stage.core.pose_latch import LatchedPose
from stage.core.pose_predict import MAX_PRESENT_HORIZON_S, extrapolate, predict_pose
from stage.core.wire.frame import FrameMessage
from stage.core.wire.pose import PoseMessage, encode_pose_dict
from tests.cluster.helpers import pose_body, write_stage

REPO = Path(__file__).resolve().parents[2]
DEMO = (REPO / "configs" / "demo.yaml").read_text()


def pose(seq: int, t: float, x: float, pan: float = 0.0, stale: bool = False) -> PoseMessage:
    body = pose_body("cam1", seq, x_m=x) | {"t_sample": t, "rotation_deg": [pan, 2.0, 0.0], "stale": stale}
    return PoseMessage.model_validate(body)


def test_extrapolate_moves_along_the_velocity_of_the_two_samples() -> None:
    assert extrapolate(1.0, [0.0, 10.0], 1.1, [0.1, 12.0], 0.05) == pytest.approx([0.15, 13.0])
    assert extrapolate(1.0, [0.0], 1.0, [0.5], 0.05) == [0.5]  # no time between them: no velocity
    assert extrapolate(0.0, [-1e308], 1e-300, [1e308], 1.0) == [float("inf")]


def test_predict_pose_reaches_the_target_time_and_keeps_the_trace() -> None:
    before, last = pose(7, 100.000, 0.0, pan=10.0), pose(8, 100.010, 0.01, pan=10.2)  # 1 m/s, 20 °/s
    out = predict_pose(before, last, 100.030)
    assert out.position_m == pytest.approx((0.03, 0.0, 1.5))
    assert out.rotation_deg == pytest.approx((10.6, 2.0, 0.0))
    expected = Pose(out.position_m, out.rotation_deg).world_from_camera()
    assert np.allclose(np.asarray(out.world_from_camera), expected)
    assert (out.seq, out.t_sample, out.t_recv) == (last.seq, last.t_sample, last.t_recv)
    # it serialises inside a frame message as a pose from the daemon does
    frame = FrameMessage(v=1, leader="l", frame=1, rate="60", t_frame=1.0, t_latch=0.99, state_rev=0,
                         poses={"cam1": out}, members=[], barrier_timeout_ms=100.0)
    assert FrameMessage.model_validate_json(frame.model_dump_json()).poses["cam1"] == out


def test_predict_pose_across_180_does_not_jump() -> None:
    out = predict_pose(pose(1, 0.0, 0.0, pan=179.0), pose(2, 0.01, 0.0, pan=-179.0), 0.02)
    assert out.rotation_deg[0] == pytest.approx(-177.0)


@pytest.mark.parametrize(("before", "last"), [
    (None, pose(2, 0.01, 0.01)),
    (pose(1, 0.0, 0.0), pose(2, 0.01, 0.01, stale=True)),
    (pose(1, 0.0, 0.0, stale=True), pose(2, 0.01, 0.01)),
    (pose(1, 0.0, 0.0), pose(2, 0.5, 0.01)),  # a dropout between them
    (pose(1, 0.01, 0.0), pose(2, 0.01, 0.01)),  # no time between them
    (pose(1, 0.0, 0.0), pose(2, 0.00001, 0.001)),  # bunched: 10 µs apart, 1 mm of noise would be 100 m/s
])
def test_predict_pose_leaves_a_pose_without_usable_velocity_as_measured(before, last) -> None:
    assert predict_pose(before, last, 0.05) is last


def test_predict_pose_clamps_the_horizon() -> None:
    before, last = pose(1, 0.0, 0.0), pose(2, 0.01, 0.01)
    assert predict_pose(before, last, 5.0).position_m[0] == pytest.approx(0.01 + MAX_PRESENT_HORIZON_S)
    assert predict_pose(before, last, 0.0).position_m[0] == pytest.approx(0.01)  # never backwards


def _history(*poses: PoseMessage) -> deque[LatchedPose]:
    return deque(LatchedPose(p, i * 0.01) for i, p in enumerate(poses))


def test_previous_sample_skips_re_sends_of_the_same_seq_and_bunched_samples() -> None:
    a, b = pose(4, 0.0, 0.0), pose(5, 0.01, 0.01)
    assert previous_sample(_history(a, b, b), b) is a
    bunched = pose(6, 0.01002, 0.0102)  # came 20 µs after b: the velocity is taken from b back to a
    assert previous_sample(_history(a, b, bunched), bunched) is a
    assert previous_sample(_history(b), b) is None
    assert previous_sample(None, b) is None


def test_predict_to_present_only_for_the_configured_cameras_without_a_delay() -> None:
    a, b = pose(4, 10.00, 0.0), pose(5, 10.01, 0.01)
    other = b.model_copy(update={"camera": "cam2"})
    history = {"cam1": _history(a, b), "cam2": _history(a.model_copy(update={"camera": "cam2"}), other)}
    poses = {"cam1": b, "cam2": other}
    out = predict_to_present(poses, history, 10.02, {"cam1": 0.005}, {})
    assert out["cam1"].position_m[0] == pytest.approx(0.025)  # to t_frame + 5 ms
    assert out["cam2"] is other
    assert predict_to_present(poses, history, 10.02, {"cam1": 0.0}, {"cam1": 40.0})["cam1"] is b


def test_the_leader_latches_poses_predicted_to_the_frame() -> None:
    inputs = Inputs(present_s={"cam1": 0.0})
    for seq, (t, x) in enumerate(((50.00, 0.00), (50.01, 0.01)), start=1):
        inputs.pose(encode_pose_dict(pose_body("cam1", seq, x_m=x) | {"t_sample": t}), now_s=float(seq))
    poses, _ = inputs.latch(3.0, t_present_s=50.025)
    assert poses["cam1"].position_m[0] == pytest.approx(0.025) and poses["cam1"].seq == 2
    plain, _ = Inputs().latch(3.0, t_present_s=50.025)
    assert plain == {}
    unpredicted = Inputs()
    for seq in (1, 2):
        unpredicted.pose(encode_pose_dict(pose_body("cam1", seq, x_m=seq / 100) | {"t_sample": 50 + seq / 100}),
                         now_s=float(seq))
    assert unpredicted.latch(3.0, t_present_s=50.025)[0]["cam1"].position_m[0] == pytest.approx(0.02)


PRESENT = "    latency: {mode: present, ms: 8}\n"
LENS = "    lens: {kind: fixed, focal_length_mm: 24.0, entrance_pupil_m: 0.12}\n"


def test_present_mode_goes_to_the_frame_clock(tmp_path: Path) -> None:
    path = write_stage(tmp_path, DEMO.replace(LENS, LENS + PRESENT) + "cluster:\n  frame_lock: true\n")
    config = load_stage_config(path)
    assert present_offsets_s(config) == {"cam1": pytest.approx(0.008)}
    assert LeaderSettings.from_config(config).present_s == {"cam1": pytest.approx(0.008)}


def test_present_mode_without_frame_lock_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_stage(tmp_path, DEMO.replace(LENS, LENS + PRESENT))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cameras[0].latency.mode: present needs cluster.frame_lock: true" in err[0]


def test_a_reload_that_changes_present_prediction_restarts_the_clock(tmp_path: Path) -> None:
    locked = DEMO + "cluster:\n  frame_lock: true\n"
    old = load_stage_config(write_stage(tmp_path, locked))
    new = load_stage_config(write_stage(tmp_path, locked.replace(LENS, LENS + PRESENT)))
    plan = reload_plan(old, new)
    assert CLOCK in plan.restart and TRACKING in plan.restart
    assert CLOCK not in reload_plan(old, old).restart
    delay = load_stage_config(write_stage(tmp_path, locked.replace(LENS, LENS + "    latency: {mode: delay, ms: 8}\n")))
    assert CLOCK not in reload_plan(old, delay).restart


def test_the_leader_predicts_to_the_due_time_plus_how_late_frames_appear() -> None:
    leader = FrameLeader(LeaderSettings(rate=Fraction(60), frames_endpoint="tcp://127.0.0.1:*",
                                        ready_endpoint="tcp://127.0.0.1:*", present_s={"cam1": 0.002}))
    try:
        for seq, (t, x) in enumerate(((50.00, 0.00), (50.01, 0.01)), start=1):  # 1 m/s
            leader.inputs.pose(encode_pose_dict(pose_body("cam1", seq, x_m=x) | {"t_sample": t}), now_s=float(seq))
        due_ns = 50_020_000_000
        assert leader._latch_inputs(due_ns)[0]["cam1"].position_m[0] == pytest.approx(0.022)  # due + 2 ms
        leader.telemetry.present_after_due_s.extend([0.003, 0.005, 0.004])  # the nodes present 4 ms late (median)
        assert leader._latch_inputs(due_ns)[0]["cam1"].position_m[0] == pytest.approx(0.026)
    finally:
        leader.close()
