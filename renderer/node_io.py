"""A render node's sockets: SUB to the pose stream and the live-state stream, PUB of its stats.

The decoding is pure (:class:`PoseLatch` takes frames, keeps the newest valid pose of every camera and counts the
rest); :class:`NodeSockets` only moves bytes, never blocks, and closes with ``linger=0``. The pose SUB socket is
drained completely every frame instead of using ``ZMQ_CONFLATE`` (which does not support multipart messages).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass

import zmq

from renderer.views import CameraState
from stage.live import field_limits
from stage.wire.pose import POSE_TOPIC_PREFIX, PoseMessage, WireError, decode_pose
from stage.wire.render_stats import RenderStats, encode

log = logging.getLogger(__name__)

STALE_AFTER_S = 0.5
"""A camera is reported stale when the daemon flags its pose stale (its source has been silent longer than the
source's timeout), or when no message of it has come for this long (the daemon re-sends the last pose of a silent
camera at 10 Hz, so silence this long means the daemon or the link is gone). The silence is measured between the
node's reads of the socket, never against the time a slow frame took: a node at 2 fps reads a fresh pose each frame
and its cameras are not stale."""
MAX_DRAIN = 10_000
"""At most this many messages are read from one socket per frame, so a flood cannot starve the frame loop."""
LOG_FIRST_REJECTS = 5
"""Malformed messages logged individually per stream; after that only every 100th is logged."""


@dataclass(frozen=True)
class LatchedPose:
    """The newest pose of one camera and when it arrived (monotonic seconds)."""

    message: PoseMessage
    arrived_s: float

    def stale(self, checked_s: float) -> bool:
        """Stale as of the socket read at ``checked_s`` (see :data:`STALE_AFTER_S`)."""
        return self.message.stale or checked_s - self.arrived_s > STALE_AFTER_S


class RejectCounter:
    """Counts malformed messages by stream and logs them without flooding the log."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def reject(self, stream: str, error: Exception) -> None:
        n = self.counts.get(stream, 0) + 1
        self.counts[stream] = n
        if n <= LOG_FIRST_REJECTS or n % 100 == 0:
            log.warning("malformed %s message #%d dropped: %s", stream, n, error)


MAX_DELAY_S = field_limits("camera_delay_ms.*")[1] / 1000.0
"""Longest per-camera delay (the upper limit of the live ``camera_delay_ms``): how much history is kept."""


class PoseLatch:
    """Newest valid pose per camera, and a second of history for per-camera delays. :meth:`feed` is pure apart
    from the reject counter."""

    def __init__(self, rejects: RejectCounter) -> None:
        self.poses: dict[str, LatchedPose] = {}
        self.history: dict[str, deque[LatchedPose]] = {}
        self.rejects = rejects
        self.checked_s: float | None = None
        """When the pose socket was last read (monotonic seconds)."""

    def checked(self, now_s: float) -> None:
        """The socket was read empty at ``now_s``: what has not arrived by now is missing."""
        self.checked_s = now_s

    def stale_cameras(self) -> list[str]:
        """Cameras whose newest pose is stale as of the last socket read."""
        if self.checked_s is None:
            return []
        return sorted(camera for camera, latched in self.poses.items() if latched.stale(self.checked_s))

    def feed(self, frames: list[bytes], now_s: float) -> bool:
        """Take one message; True when it was a valid pose (later messages win: the socket keeps order)."""
        try:
            message = decode_pose(frames)
        except WireError as exc:
            self.rejects.reject("pose", exc)
            return False
        latched = LatchedPose(message, now_s)
        self.poses[message.camera] = latched
        history = self.history.setdefault(message.camera, deque())
        history.append(latched)
        while history and now_s - history[0].arrived_s > MAX_DELAY_S + 0.1 and len(history) > 1:
            history.popleft()
        return True

    def delayed(self, now_s: float, delay_ms: dict[str, float]) -> dict[str, LatchedPose]:
        """Per camera, the newest pose that arrived at least its delay ago (``camera_delay_ms``, to line the picture
        up with a slower camera path); cameras without a delay get their newest pose. Until a pose that old exists,
        the oldest one kept is used."""
        out = dict(self.poses)
        for camera, ms in delay_ms.items():
            history = self.history.get(camera)
            if not history or ms <= 0.0:
                continue
            cutoff = now_s - ms / 1000.0
            chosen = history[0]
            for latched in reversed(history):
                if latched.arrived_s <= cutoff:
                    chosen = latched
                    break
            out[camera] = chosen
        return out


def _drain(sock: zmq.Socket) -> list[list[bytes]]:
    messages = []
    for _ in range(MAX_DRAIN):
        try:
            messages.append(sock.recv_multipart(zmq.NOBLOCK))
        except zmq.Again:
            break
    return messages


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
            self.stats.connect(stats_endpoint)

    def _sub(self, endpoint: str, topic: bytes) -> zmq.Socket:
        sock = self.context.socket(zmq.SUB)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.SUBSCRIBE, topic)
        sock.connect(endpoint)
        return sock

    def drain_poses(self, latch: PoseLatch) -> int:
        """Feed every waiting pose message to ``latch``; returns how many valid poses arrived."""
        if self.pose is None:
            return 0
        now = time.monotonic()
        valid = sum(latch.feed(frames, now) for frames in _drain(self.pose))
        latch.checked(now)
        return valid

    def drain_state(self) -> list[list[bytes]]:
        """Every waiting state message, oldest first."""
        return _drain(self.state) if self.state is not None else []

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
