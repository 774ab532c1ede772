"""Replaying a recorded take through the daemon keeps its order and timing."""

from __future__ import annotations

import json
import time

import zmq

from stage.core.pose import Pose
from stage.core.wire.pose import decode_pose
from tests.procs import Proc, recv_frames, subscriber


def write_take(path, n: int, spacing_s: float) -> None:
    lines = [json.dumps({"take": 1, "name": "t", "created": 0.0, "config": None, "cameras": ["cam"]})]
    for i in range(n):
        pose = Pose((i * 0.01, 0.0, 1.5), (float(i), 0.0, 0.0))
        lines.append(json.dumps({
            "v": 1, "camera": "cam", "source": "rec", "seq": i, "t_sample": 1000.0 + i * spacing_s,
            "t_recv": 1000.0 + i * spacing_s, "t_pub": 1000.0 + i * spacing_s, "position_m": list(pose.position_m),
            "rotation_deg": list(pose.rotation_deg), "world_from_camera": pose.world_from_camera().tolist(),
            "focal_length_mm": 35.0, "sensor_mm": [36.0, 24.0], "focus_m": None, "entrance_pupil_m": 0.0,
            "fstop": None, "timecode": f"01:00:00:{i % 24:02d}", "stale": False}))
    path.write_text("\n".join(lines) + "\n")


def test_realtime_replay_keeps_order_and_spacing(tmp_path) -> None:
    take = tmp_path / "a.take.jsonl"
    write_take(take, 40, 0.02)
    proc = Proc(["-m", "tracking", "--source", f"replay://{take}?loop=true", "--publish", "tcp://127.0.0.1:*"])
    ctx = zmq.Context()
    try:
        endpoint = proc.wait_for(r"publishing on (tcp://127\.0\.0\.1:\d+)").group(1)
        sub = subscriber(ctx, endpoint, b"pose/")
        got = []
        deadline = time.monotonic() + 5.0
        while len(got) < 30 and time.monotonic() < deadline:
            msg = decode_pose(recv_frames(sub, 2.0))
            got.append((time.monotonic(), msg))
        got = got[1:]  # the first may be the last-value cache
        indices = [round(m.rotation_deg[0]) for _, m in got]
        steps = [(b - a) % 40 for a, b in zip(indices, indices[1:], strict=False)]
        assert all(s == 1 for s in steps), indices
        assert all(m.timecode == f"01:00:00:{i % 24:02d}" for i, (_, m) in zip(indices, got, strict=True))
        gaps = sorted(b[0] - a[0] for a, b in zip(got, got[1:], strict=False))
        assert 0.012 < gaps[len(gaps) // 2] < 0.03  # median spacing ≈ 20 ms as recorded
    finally:
        proc.kill()
        ctx.destroy(linger=0)


def test_bad_take_is_one_line_exit_2(tmp_path) -> None:
    take = tmp_path / "bad.take.jsonl"
    take.write_text('{"take": 1, "name": "t", "created": 0, "config": null, "cameras": []}\n{"v": 1}\n{"v": 1}\n')
    proc = Proc(["-m", "tracking", "--source", f"replay://{take}"])
    try:
        assert proc.wait(20) == 2
        lines = [line for line in proc.lines if line.strip()]
        assert len(lines) == 1 and f"{take}:2:" in lines[0]
    finally:
        proc.kill()
