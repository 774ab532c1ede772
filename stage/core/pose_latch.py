"""The newest pose of every camera, with a second of history for per-camera delays: what a frame latches.

Used by the frame clock (:mod:`stage.core.cluster.leader`) to latch the poses of every frame, and by a render node
running on its own clock. Pure apart from the reject counter's log: it takes message frames and arrival times
(monotonic seconds) and never touches a socket.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

from stage.core.live import field_limits
from stage.core.wire.pose import PoseMessage, WireError, decode_pose

log = logging.getLogger(__name__)

STALE_AFTER_S = 0.5
"""A camera is reported stale when the daemon flags its pose stale (its source has been silent longer than the
source's timeout), or when no message of it has come for this long (the daemon re-sends the last pose of a silent
camera at 10 Hz, so silence this long means the daemon or the link is gone). The silence is measured between the
node's reads of the socket, never against the time a slow frame took: a node at 2 fps reads a fresh pose each frame
and its cameras are not stale."""
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
