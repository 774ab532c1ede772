"""A render node's side of the frame lock: SUB to the leader's ``frame``/``release`` messages, PUSH of ``ready``
reports (wire format: :mod:`stage.core.wire.frame`).

The node renders the newest frame it has been sent (older ones waiting in the queue are skipped: a node that fell
behind rejoins at a frame boundary), reports ready, and presents only when the leader releases that frame. A newer
``frame`` arriving first means the release will not come (the leader moved on): the frame is abandoned, not shown.
The PUSH socket has ``ZMQ_IMMEDIATE`` set, so while the leader is away reports are dropped instead of queued and
delivered stale when it returns.
"""

from __future__ import annotations

import time
from pathlib import Path

import zmq

from stage.core.keys import secure
from stage.core.pose_latch import RejectCounter
from stage.core.sockets import drain
from stage.core.wire.base import WIRE_MAJOR
from stage.core.wire.frame import (
    FrameMessage,
    LeaveMessage,
    PresentReport,
    ReadyMessage,
    ReleaseMessage,
    decode_leader,
    encode_leave,
    encode_ready,
)
from stage.core.wire.pose import WireError

MAX_DRAIN = 10_000
LEAVE_LINGER_MS = 200
"""How long closing waits for a ``leave`` report to go out."""


class FrameFollower:
    """Connects to ``cluster.frames`` (SUB) and ``cluster.ready`` (PUSH)."""

    def __init__(self, node: str, frames_endpoint: str, ready_endpoint: str,
                 context: zmq.Context | None = None, keys_dir: Path | None = None) -> None:
        """``keys_dir``: CURVE keys (client pair and the server's public key) for endpoints that leave loopback
        (default :func:`stage.core.keys.default_dir`); raises :class:`stage.core.keys.KeysError` when they are needed
        and
        missing."""
        self.node = node
        self._own_context = context is None
        self.context = context or zmq.Context()
        self.sub = self.context.socket(zmq.SUB)
        self.sub.setsockopt(zmq.LINGER, 0)
        self.push = self.context.socket(zmq.PUSH)
        self.push.setsockopt(zmq.LINGER, 0)
        try:
            self.sub.setsockopt(zmq.SUBSCRIBE, b"frame")
            self.sub.setsockopt(zmq.SUBSCRIBE, b"release")
            secure(self.sub, frames_endpoint, server=False, directory=keys_dir)
            self.sub.connect(frames_endpoint)
            self.push.setsockopt(zmq.IMMEDIATE, 1)
            self.push.setsockopt(zmq.SNDHWM, 4)
            secure(self.push, ready_endpoint, server=False, directory=keys_dir)
            self.push.connect(ready_endpoint)
        except BaseException:
            self.close()
            raise
        self.pending: FrameMessage | None = None
        """The newest frame received and not yet rendered."""
        self.released: ReleaseMessage | None = None
        """The newest release received."""
        self.rejects = RejectCounter()
        self.unsent = 0
        self.skipped = 0
        """Frames not rendered because they were already released when the node got to them."""

    def _take(self, frames: list[bytes]) -> None:
        try:
            message = decode_leader(frames)
        except WireError as exc:
            self.rejects.reject("frame-lock", exc)
            return
        if isinstance(message, FrameMessage):
            self.pending = message
        else:
            self.released = message

    def _receive(self, timeout_s: float) -> bool:
        """Take every waiting message, waiting up to ``timeout_s`` for the first; False when none came."""
        if not self.sub.poll(max(0, int(timeout_s * 1000))):
            return False
        for frames in drain(self.sub, MAX_DRAIN):
            self._take(frames)
        return True

    def next_frame(self, timeout_s: float) -> FrameMessage | None:
        """The newest frame to render, waiting up to ``timeout_s`` for one; ``None`` when the leader is silent."""
        deadline = time.monotonic() + timeout_s
        self._receive(0)
        while True:
            self._skip_released()
            if self.pending is not None:
                frame, self.pending = self.pending, None
                return frame
            left = deadline - time.monotonic()
            if left <= 0 or not self._receive(left):
                return None

    def _skip_released(self) -> None:
        """A pending frame that the leader already released is past: rendering it could only be shown late."""
        pending, released = self.pending, self.released
        if pending is not None and released is not None and released.leader == pending.leader \
                and released.frame >= pending.frame:
            self.pending = None
            self.skipped += 1

    def ready(self, frame: FrameMessage, state_rev: int, poses: dict[str, int], t_frame_recv: float,
              t_render_start: float, t_render_end: float, previous: PresentReport | None) -> bool:
        """Report ``frame`` rendered; False when it could not be sent (no leader connected)."""
        message = ReadyMessage(v=WIRE_MAJOR, node=self.node, leader=frame.leader, frame=frame.frame,
                               state_rev=state_rev, poses=poses, t_frame_recv=t_frame_recv,
                               t_render_start=t_render_start, t_render_end=t_render_end, t_ready=time.time(),
                               previous=previous)
        try:
            self.push.send_multipart(encode_ready(message), zmq.NOBLOCK)
        except zmq.Again:
            self.unsent += 1
            return False
        return True

    def wait_release(self, frame: FrameMessage, timeout_s: float) -> ReleaseMessage | None:
        """The release of ``frame``, waiting up to ``timeout_s``; ``None`` when it will not come (a newer frame
        arrived first, or the leader is silent)."""
        deadline = time.monotonic() + timeout_s
        while True:
            released = self.released
            if released is not None and released.leader == frame.leader and released.frame == frame.frame:
                return released
            if self.pending is not None and (self.pending.leader != frame.leader or self.pending.frame > frame.frame):
                return None
            left = deadline - time.monotonic()
            if left <= 0 or not self._receive(left):
                return None

    def leave(self, reason: str) -> None:
        """Tell the leader this node stops following it, so the barrier stops waiting for it now rather than at
        its timeout; the report gets :data:`LEAVE_LINGER_MS` to go out when the sockets close."""
        message = LeaveMessage(v=WIRE_MAJOR, node=self.node, reason=reason[:200])
        try:
            self.push.send_multipart(encode_leave(message), zmq.NOBLOCK)
        except zmq.ZMQError:
            return  # no leader connected: nobody waits for this node
        self.push.setsockopt(zmq.LINGER, LEAVE_LINGER_MS)

    def close(self) -> None:
        self.sub.close(linger=0)
        self.push.close()
        if self._own_context:
            self.context.term()
