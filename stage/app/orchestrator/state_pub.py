"""The live-state publisher: an XPUB socket on ``endpoints.state`` with a last-value cache (wire format:
:mod:`stage.core.wire.state`).

Every new subscription (a render node starting or restarting) is answered at once with a snapshot of the current
state, so a restarted node comes back with the state the show has now. Changes go out as coalesced deltas, at most
one per render frame period; a snapshot follows every scene change and goes out once a second regardless, so a
node that missed a delta is never more than a second behind.
"""

from __future__ import annotations

import logging
from pathlib import Path

import zmq

from stage.app.orchestrator.store import StateStore
from stage.core.keys import secure
from stage.core.wire.state import SNAPSHOT_INTERVAL_S, SNAPSHOT_TOPIC, encode_delta, encode_snapshot

log = logging.getLogger(__name__)

SNDHWM = 1000


class StatePublisher:
    """XPUB + last-value cache over a :class:`StateStore`. Call :meth:`handle_subscriptions` when the socket is
    readable and :meth:`tick` every loop iteration."""

    def __init__(self, context: zmq.Context, endpoint: str, store: StateStore, frame_period_s: float,
                 keys_dir: Path | None = None):
        """``keys_dir``: CURVE keys, used when ``endpoint`` leaves loopback (:func:`stage.core.keys.secure`)."""
        self.store = store
        self.frame_period_s = frame_period_s
        self.socket = context.socket(zmq.XPUB)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.SNDHWM, SNDHWM)
        self.socket.setsockopt(zmq.XPUB_VERBOSE, 1)
        try:
            secure(self.socket, endpoint, server=True, directory=keys_dir)
            self.socket.bind(endpoint)
        except Exception:
            self.socket.close(linger=0)
            raise
        self.endpoint = self.socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self.counters = {"subscriptions": 0, "snapshots": 0, "deltas": 0}
        self._next_delta = 0.0
        self._next_snapshot = 0.0

    def handle_subscriptions(self) -> int:
        """Answer every new subscription that covers snapshots with a snapshot; returns how many joined."""
        joined = 0
        while True:
            try:
                message = self.socket.recv(zmq.NOBLOCK)
            except zmq.Again:
                break
            if not message or message[0] != 1:
                continue  # unsubscribe
            prefix = message[1:].decode(errors="replace")
            if SNAPSHOT_TOPIC.startswith(prefix):
                joined += 1
                self.counters["subscriptions"] += 1
                self.send_snapshot()
        return joined

    def send_snapshot(self) -> None:
        self._send(encode_snapshot(self.store.rev, self.store.state))
        self.counters["snapshots"] += 1

    def tick(self, now: float) -> None:
        """Send the pending delta (once per frame period) and the periodic snapshot."""
        if now >= self._next_delta:
            delta = self.store.take_delta()
            if delta is not None:
                rev, base, changes = delta
                self._send(encode_delta(rev, base, changes))
                self.counters["deltas"] += 1
                self._next_delta = now + self.frame_period_s
                if "scene" in changes:
                    self.send_snapshot()
        if now >= self._next_snapshot:
            self._next_snapshot = now + SNAPSHOT_INTERVAL_S
            self.send_snapshot()

    def _send(self, frames: list[bytes]) -> None:
        try:
            self.socket.send_multipart(frames, zmq.NOBLOCK)
        except zmq.Again:  # XPUB drops for slow subscribers rather than blocking; kept for safety
            log.warning("state message dropped: send queue full")

    def close(self) -> None:
        self.socket.close(linger=0)
