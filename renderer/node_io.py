"""A render node's sockets: SUB to the pose stream and the live-state stream, PUB of its stats.

The decoding is pure (:class:`stage.core.pose_latch.PoseLatch` takes frames, keeps the newest valid pose of every camera
and counts the rest); :class:`NodeSockets` only moves bytes, never blocks, and closes with ``linger=0``. The pose SUB
socket is drained completely every frame instead of using ``ZMQ_CONFLATE`` (which does not support multipart
messages).
"""

from __future__ import annotations

import logging
import time

import zmq

from renderer.views import CameraState
from stage.core.keys import secure
from stage.core.pose_latch import LatchedPose, PoseLatch
from stage.core.sockets import drain
from stage.core.wire.pose import POSE_TOPIC_PREFIX
from stage.core.wire.render_stats import RenderStats, encode

log = logging.getLogger(__name__)

MAX_DRAIN = 10_000
"""At most this many messages are read from one socket per frame, so a flood cannot starve the frame loop."""


class NodeSockets:
    """SUB ``pose/`` and ``state/`` (connect), PUB ``render/<node>`` (connect); non-blocking throughout."""

    def __init__(self, pose_endpoint: str | None, state_endpoint: str | None, stats_endpoint: str | None) -> None:
        self.context = zmq.Context()
        self.pose = self._sub(pose_endpoint, POSE_TOPIC_PREFIX.encode()) if pose_endpoint else None
        self.state = self._sub(state_endpoint, b"state/") if state_endpoint else None
        self.stats = None
        if stats_endpoint:
            self.stats = self.context.socket(zmq.PUB)
            self.stats.setsockopt(zmq.LINGER, 0)
            self.stats.setsockopt(zmq.SNDHWM, 16)
            secure(self.stats, stats_endpoint, server=False)
            self.stats.connect(stats_endpoint)

    def _sub(self, endpoint: str, topic: bytes) -> zmq.Socket:
        sock = self.context.socket(zmq.SUB)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.SUBSCRIBE, topic)
        secure(sock, endpoint, server=False)
        sock.connect(endpoint)
        return sock

    def drain_poses(self, latch: PoseLatch) -> int:
        """Feed every waiting pose message to ``latch``; returns how many valid poses arrived."""
        if self.pose is None:
            return 0
        now = time.monotonic()
        valid = sum(latch.feed(frames, now) for frames in drain(self.pose, MAX_DRAIN))
        latch.checked(now)
        return valid

    def drain_state(self) -> list[list[bytes]]:
        """Every waiting state message, oldest first."""
        return drain(self.state, MAX_DRAIN) if self.state is not None else []

    def publish(self, stats: RenderStats) -> None:
        if self.stats is None:
            return
        try:
            self.stats.send_multipart(encode(stats), zmq.NOBLOCK)
        except zmq.Again:
            log.debug("stats not sent: no subscriber connected or queue full")

    def close(self) -> None:
        for sock in (self.pose, self.state, self.stats):
            if sock is not None:
                sock.close(linger=0)
        self.context.term()


def camera_state(latched: LatchedPose, priority: int) -> CameraState:
    """What the renderer needs from a latched pose (``priority`` comes from the stage config)."""
    m = latched.message
    return CameraState(camera=m.camera, position_m=m.position_m, rotation_deg=m.rotation_deg,
                       focal_length_mm=m.focal_length_mm, sensor_mm=m.sensor_mm, entrance_pupil_m=m.entrance_pupil_m,
                       priority=priority, t_sample=m.t_sample, stale=m.stale)
