"""ZeroMQ publisher of the pose stream with a last-value cache for late joiners.

An XPUB socket (``XPUB_VERBOSE``) sees every subscription. When a subscriber joins, the latest message of every
topic its prefix matches is sent again at once, so it has every camera's pose without waiting for the next
sample (the ZeroMQ guide's ``lvcache`` pattern). The re-send goes to all subscribers of that topic; they
recognise it by its repeated ``seq`` (docs/wire-protocol.md).
"""

from __future__ import annotations

import logging

import zmq

from stage.core.keys import secure

log = logging.getLogger(__name__)

SNDHWM = 10_000
"""Messages queued per slow subscriber before ZeroMQ drops for it (never blocks the daemon)."""


class PosePublisher:
    """XPUB socket + last-value cache. Call :meth:`handle_subscriptions` when the socket is readable."""

    def __init__(self, context: zmq.Context, endpoint: str):
        self.socket = context.socket(zmq.XPUB)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.SNDHWM, SNDHWM)
        self.socket.setsockopt(zmq.XPUB_VERBOSE, 1)
        secure(self.socket, endpoint, server=True)  # CURVE when the stream leaves loopback
        self.socket.bind(endpoint)
        self.endpoint = self.socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self.cache: dict[bytes, list[bytes]] = {}
        self.sent = 0

    def publish(self, frames: list[bytes], cache: bool = True) -> None:
        if cache:
            self.cache[frames[0]] = frames
        try:
            self.socket.send_multipart(frames, flags=zmq.NOBLOCK, copy=True)
            self.sent += 1
        except zmq.Again:  # pragma: no cover - XPUB drops rather than blocks; kept for safety
            log.warning("publish queue full; message for %s dropped", frames[0].decode(errors="replace"))

    def handle_subscriptions(self) -> int:
        """Drain subscription messages; re-send cached values for each new subscription. Returns how many."""
        joined = 0
        while True:
            try:
                message = self.socket.recv(flags=zmq.NOBLOCK)
            except zmq.Again:
                return joined
            if not message or message[0] != 1:
                continue  # unsubscribe
            prefix = message[1:]
            joined += 1
            for topic, frames in list(self.cache.items()):
                if topic.startswith(prefix):
                    self.publish(frames, cache=False)

    def close(self) -> None:
        self.socket.close(linger=0)
