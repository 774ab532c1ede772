"""Shared pieces of the take tests: pose bodies, a loopback publisher thread that never outlives its test."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import zmq

from stage.core.pose import Pose
from stage.core.wire.pose import WIRE_VERSION, encode_pose_dict

T0 = 1_767_225_600.25


def pose_body(camera: str = "cam1", seq: int = 0, position: tuple[float, float, float] = (1.0, 2.0, 3.0),
              ptr: tuple[float, float, float] = (90.0, 0.0, 0.0), **overrides: Any) -> dict[str, Any]:
    """A complete, valid ``pose/<camera>`` body; ``world_from_camera`` follows ``position`` and ``ptr``."""
    m = Pose(position, ptr).world_from_camera()
    t = T0 + seq / 60.0
    body: dict[str, Any] = {
        "v": WIRE_VERSION, "camera": camera, "source": "sim", "seq": seq,
        "t_sample": t, "t_recv": t + 0.001, "t_pub": t + 0.002,
        "position_m": list(position), "rotation_deg": list(ptr),
        "world_from_camera": [[float(v) for v in row] for row in m],
        "focal_length_mm": 24.0, "sensor_mm": [24.89, 14.0], "focus_m": 3.5, "entrance_pupil_m": 0.0,
        "fstop": 2.8, "timecode": "01:02:03:04", "stale": False,
    }
    body.update(overrides)
    return body


class Publisher:
    """A PUB socket on a random loopback port, publishing ``make(i)`` every ``period_s`` in a thread.

    The test's subscriber joins at some point; re-publishing until the test stops us replaces waiting for the
    join. ``make`` returns the frames of message ``i`` (or a list of several messages' frames).
    """

    def __init__(self, make: Callable[[int], list[list[bytes]]], period_s: float = 0.01):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.PUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        port = self.sock.bind_to_random_port("tcp://127.0.0.1")
        self.endpoint = f"tcp://127.0.0.1:{port}"
        self.make, self.period_s = make, period_s
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            for frames in self.make(i):
                self.sock.send_multipart(frames)
                self.sent += 1
            i += 1
            self._stop.wait(self.period_s)

    def __enter__(self) -> Publisher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close(linger=0)
        self.ctx.term()


def pose_frames(camera: str = "cam1", seq: int = 0, **overrides: Any) -> list[bytes]:
    return encode_pose_dict(pose_body(camera, seq, **overrides))
