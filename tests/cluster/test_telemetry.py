"""The leader's telemetry summary (stage/core/cluster/telemetry.py) from hand-made frames with known times: per node
barrier wait, render time, drops and last poses; per camera the tracking-to-present latency and its breakdown."""

from __future__ import annotations

from fractions import Fraction

import pytest

from stage.app.orchestrator.status_text import _cluster_lines
from stage.core.cluster.barrier import Membership
from stage.core.cluster.phase_lock import PhaseLock
from stage.core.cluster.records import ReleasedFrame
from stage.core.cluster.telemetry import ClusterTelemetry
from stage.core.wire.cluster_stats import decode, encode
from stage.core.wire.frame import FrameMessage, PresentReport, ReadyMessage
from stage.core.wire.pose import PoseMessage
from tests.cluster.helpers import pose_body

T0 = 1_800_000_000.0


def _pose(seq: int, t_sample: float) -> PoseMessage:
    body = pose_body("cam1", seq)
    body.update(t_sample=t_sample, t_recv=t_sample + 0.002, t_pub=t_sample + 0.003)
    return PoseMessage.model_validate(body)


def _frame(n: int, t: float) -> FrameMessage:
    # pose sampled 10 ms before the latch; latched at t
    return FrameMessage(v=1, leader="L", frame=n, rate="60", t_frame=t + 0.004, t_latch=t, state_rev=n,
                        poses={"cam1": _pose(n, t - 0.010)}, members=["a"], barrier_timeout_ms=100.0)


def _ready(n: int, t: float, previous: PresentReport | None) -> ReadyMessage:
    # frame received 1 ms after the latch, rendered for 2 ms
    return ReadyMessage(v=1, node="a", leader="L", frame=n, state_rev=n, poses={"cam1": n}, t_frame_recv=t + 0.001,
                        t_render_start=t + 0.001, t_render_end=t + 0.003, t_ready=t + 0.003, previous=previous)


def test_latency_breakdown_and_node_summary() -> None:
    telemetry = ClusterTelemetry()
    membership = Membership()
    membership.heard("a")
    membership.boundary()
    previous = None
    for n in range(10):
        t = T0 + n / 60
        ready = _ready(n, t, previous)
        telemetry.record(ReleasedFrame(_frame(n, t), t_release=t + 0.004, ready={"a": ready}, dropped=[],
                                       ready_at_s={"a": t + 0.0035}))
        membership.nodes["a"].frames_ready += 1
        # the node got the release 0.5 ms later and presented 0.5 ms after that
        previous = PresentReport(frame=n, t_release_recv=t + 0.0045, t_present=t + 0.005)
    stats = telemetry.stats(leader="L", rate="60", t_pub=T0 + 1, frames=10, skipped=0, ready_rejects=0,
                            membership=membership)
    node = stats.nodes["a"]
    assert (node.state, node.frames, node.drops, node.joins) == ("in", 10, 0, 1)
    assert node.barrier_wait_ms_p50 == pytest.approx(0.5, abs=1e-3)
    assert node.render_ms_p50 == pytest.approx(2.0, abs=1e-3)
    assert (node.last_frame, node.last_poses, node.state_rev) == (9, {"cam1": 9}, 9)
    cam = stats.cameras["cam1"]
    assert cam.samples == 9  # the last frame's present report has not come yet
    expected = {"tracker": 2.0, "daemon": 1.0, "to_latch": 7.0, "to_render": 1.0, "render": 2.0, "barrier": 1.5,
                "present": 0.5}
    for stage, ms in expected.items():
        assert getattr(cam, f"{stage}_ms_p50") == pytest.approx(ms, abs=1e-3), stage
    assert cam.total_ms_p50 == pytest.approx(sum(expected.values()), abs=1e-3)
    assert decode(encode(stats)) == stats


def test_dropped_node_and_unknown_frames() -> None:
    telemetry = ClusterTelemetry()
    membership = Membership()
    for name in ("a", "b"):
        membership.heard(name)
    membership.boundary()
    membership.drop(["b"])
    stray = _ready(99, T0, PresentReport(frame=42, t_release_recv=T0, t_present=T0))  # a frame never released
    telemetry.record(ReleasedFrame(_frame(1, T0), t_release=T0 + 0.1, ready={}, dropped=["b"], late=[stray]))
    stats = telemetry.stats(leader="L", rate="60", t_pub=T0, frames=1, skipped=0, ready_rejects=0,
                            membership=membership)
    assert stats.nodes["b"].state == "dropped" and stats.nodes["b"].drops == 1
    assert stats.nodes["a"].barrier_wait_ms_p50 is None and stats.cameras == {}


def test_how_late_frames_are_presented_after_they_are_due() -> None:
    telemetry = ClusterTelemetry()
    assert telemetry.present_after_due_p50_s() == 0.0  # nothing reported yet
    previous = None
    for n in range(5):
        t = T0 + n / 60
        telemetry.record(ReleasedFrame(_frame(n, t), t_release=t + 0.004, ready={"a": _ready(n, t, previous)},
                                       dropped=[]))
        # due at t + 4 ms (see _frame); presented 3, 4, 5, 6 ms after that
        previous = PresentReport(frame=n, t_release_recv=t + 0.006, t_present=t + 0.004 + 0.003 + n * 0.001)
    assert list(telemetry.present_after_due_s) == pytest.approx([0.003, 0.004, 0.005, 0.006], abs=1e-6)
    assert telemetry.present_after_due_p50_s() == pytest.approx(0.0045, abs=1e-6)


def test_phase_lock_in_stats_and_status() -> None:
    """The phase lock's state reaches ``stage status`` (JSON and text)."""
    lock = PhaseLock(Fraction(60), guard_ns=1_000_000)
    for i in range(240):
        lock.arrived("cam1", 1_790_000_000 * 10**9 + 4_000_000 + round(i * 1e9 / 60))
    lock.advance(2_000_000)
    stats = ClusterTelemetry().stats(leader="L", rate="60", t_pub=T0, frames=1, skipped=0, ready_rejects=0,
                                     membership=Membership(), phase=lock)
    phase = stats.phase_lock
    assert phase is not None and phase.state == "slewing" and phase.camera == "cam1"
    assert phase.tracking_period_ms == pytest.approx(16.667, abs=1e-3) and phase.offset_ms > 0
    assert decode(encode(stats)) == stats
    lines = _cluster_lines(stats.model_dump(mode="json"))
    assert lines[1].startswith("  phase lock: slewing to cam1, grid offset ")
