"""The CLI side of the control endpoint: one request, one reply, with a timeout (protocol: :mod:`.control`)."""

from __future__ import annotations

import logging
from typing import Any

import zmq

from stage.orchestrator.control import RequestError, decode_reply, encode_request

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 3.0
DOWN_TIMEOUT_S = 30.0
"""``down`` answers once every child is stopped (SIGTERM, SIGKILL after 5 s)."""


class NoOrchestrator(ConnectionError):
    """Nothing answered on the control endpoint in time."""

    def __init__(self, endpoint: str):
        super().__init__(f"no orchestrator at {endpoint} (is `stage up` running?)")
        self.endpoint = endpoint


def request(endpoint: str, cmd: str, timeout_s: float = DEFAULT_TIMEOUT_S, **args: Any) -> dict[str, Any]:
    """Send ``{"cmd": cmd, **args}`` and return the reply object.

    Raises :class:`NoOrchestrator` when no reply comes within ``timeout_s`` (nothing listening, or a hung
    orchestrator), :class:`~stage.orchestrator.control.RequestError` for a reply that is not the protocol's.
    """
    context = zmq.Context.instance()
    sock = context.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    try:
        sock.connect(endpoint)
        sock.send(encode_request(cmd, **args))
        if not sock.poll(int(timeout_s * 1000)):
            raise NoOrchestrator(endpoint)
        frames = sock.recv_multipart()
    except zmq.ZMQError as exc:
        if exc.errno == zmq.EINVAL:
            raise RequestError(f"invalid control endpoint {endpoint!r}") from None
        raise NoOrchestrator(endpoint) from None
    finally:
        sock.close(linger=0)
    return decode_reply(frames[-1])


def down(endpoint: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, Any]:
    """``ping`` first (so a missing orchestrator is reported in ``timeout_s``), then ``down`` with a long timeout."""
    request(endpoint, "ping", timeout_s)
    return request(endpoint, "down", max(timeout_s, DOWN_TIMEOUT_S))
