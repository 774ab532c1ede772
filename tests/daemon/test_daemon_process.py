"""The tracking daemon as a real process with real sockets on loopback."""

from __future__ import annotations

import signal

import pytest
import zmq

from stage.core.wire.pose import decode_pose, decode_stats
from tests.procs import Proc, recv_frames, subscriber


@pytest.fixture
def ctx():
    ctx = zmq.Context()
    yield ctx
    ctx.destroy(linger=0)


def start_sim_daemon(*extra: str) -> tuple[Proc, str]:
    proc = Proc(["-m", "tracking", "--source", "sim://orbit?rate_hz=200&name=simcam", "--publish",
                 "tcp://127.0.0.1:*", *extra])
    endpoint = proc.wait_for(r"publishing on (tcp://127\.0\.0\.1:\d+)").group(1)
    return proc, endpoint


def test_publishes_valid_poses_and_stops_cleanly_on_sigterm(ctx: zmq.Context) -> None:
    proc, endpoint = start_sim_daemon()
    try:
        sub = subscriber(ctx, endpoint, b"pose/")
        seqs = []
        for _ in range(50):
            msg = decode_pose(recv_frames(sub, 5.0))
            assert msg.camera == "simcam" and msg.source == "simcam" and not msg.stale
            assert msg.t_recv <= msg.t_pub
            seqs.append(msg.seq)
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        proc.signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert not any("Traceback" in line for line in proc.lines)
    finally:
        proc.kill()


def test_late_subscriber_gets_current_pose_at_once(ctx: zmq.Context) -> None:
    # A 0.5 Hz source: the next sample is 2 s away, so a message within 1 s can only be the cached one.
    proc = Proc(["-m", "tracking", "--source", "sim://static?rate_hz=0.5&name=slow", "--publish",
                 "tcp://127.0.0.1:*"])
    try:
        endpoint = proc.wait_for(r"publishing on (tcp://127\.0\.0\.1:\d+)").group(1)
        first = subscriber(ctx, endpoint, b"pose/")
        seen = decode_pose(recv_frames(first, 5.0))
        late = subscriber(ctx, endpoint, b"pose/slow")
        cached = decode_pose(recv_frames(late, 1.0))
        assert cached.seq == seen.seq and cached.position_m == seen.position_m
    finally:
        proc.kill()


def test_stats_topic_counts_per_source(ctx: zmq.Context) -> None:
    proc, endpoint = start_sim_daemon()
    try:
        sub = subscriber(ctx, endpoint, b"stats")
        recv_frames(sub, 3.0)  # first interval may be partial
        stats = decode_stats(recv_frames(sub, 3.0))
        src = stats.sources["simcam"]
        assert src.kind == "simulated" and src.accepted > 100 and 150 < src.rate_hz < 250
        assert src.latency_ms_p50 is not None and src.latency_ms_p50 < 50
    finally:
        proc.kill()


def test_bad_source_url_is_one_line_exit_2() -> None:
    proc = Proc(["-m", "tracking", "--source", "freed://0.0.0.0:40000?preset=nonesuch"])
    try:
        assert proc.wait(20) == 2
        lines = [line for line in proc.lines if line.strip()]
        assert len(lines) == 1 and "preset" in lines[0] and "Traceback" not in lines[0]
    finally:
        proc.kill()


DELAY_STAGE_YAML = """
name: delayed
walls:
  - {name: w, kind: flat, resolution_px: [64, 32], output: {node: n},
     corners: {lower_left: [-2, 4, 0], lower_right: [2, 4, 0], upper_left: [-2, 4, 2]}}
nodes: [{name: n, outputs: [{name: o, resolution_px: [64, 32]}]}]
endpoints: {pose: "tcp://127.0.0.1:*"}
sources:
  - {name: sim, kind: simulated, move: orbit, rate_hz: 200}
cameras:
  - {id: A, source: sim, sensor_mm: [36, 24], lens: {kind: fixed, focal_length_mm: 35},
     latency: {mode: delay, ms: 30}}
"""


def test_stats_count_rate_and_latency_of_a_delayed_camera(ctx: zmq.Context, tmp_path) -> None:
    """``latency.mode: delay`` poses are counted when published: rate and latency (less the configured delay)."""
    config = tmp_path / "stage.yaml"
    config.write_text(DELAY_STAGE_YAML)
    proc = Proc(["-m", "tracking", str(config)])
    try:
        endpoint = proc.wait_for(r"publishing on (tcp://127\.0\.0\.1:\d+)").group(1)
        sub = subscriber(ctx, endpoint, b"stats")
        recv_frames(sub, 3.0)  # first interval may be partial
        src = decode_stats(recv_frames(sub, 3.0)).sources["sim"]
        assert src.accepted > 0 and src.rate_hz > 0
        assert src.latency_ms_p50 is not None and src.latency_ms_p50 >= 0
    finally:
        proc.kill()
