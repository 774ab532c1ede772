"""The CLI side of the control endpoint: one request, one reply, with a timeout (protocol: :mod:`.control`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import zmq

from stage.app.orchestrator.control import RequestError, decode_reply, encode_request
from stage.core.keys import client_keys, make_client

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 3.0
DOWN_TIMEOUT_S = 30.0
"""``down`` answers once every child is stopped (SIGTERM, SIGKILL after 5 s)."""


HANDSHAKE_FAILED = (zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
                    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)


class NoOrchestrator(ConnectionError):
    """Nothing answered on the control endpoint in time."""

    def __init__(self, endpoint: str, why: str | None = None):
        super().__init__(why or f"no orchestrator at {endpoint} (is `stage up` running?)")
        self.endpoint = endpoint


class NotAuthorized(NoOrchestrator):
    """The orchestrator refused this client's CURVE key."""

    def __init__(self, endpoint: str, keys_dir: Path | None):
        where = f" ({keys_dir})" if keys_dir else ""
        super().__init__(endpoint, f"the orchestrator at {endpoint} refused this client's key{where}: "
                                   "its client.key must be in the show's keys/authorized/ folder")


def request(endpoint: str, cmd: str, timeout_s: float = DEFAULT_TIMEOUT_S, keys_dir: Path | None = None,
            **args: Any) -> dict[str, Any]:
    """Send ``{"cmd": cmd, **args}`` as an authenticated CURVE client (keys from ``keys_dir``, default
    :func:`stage.core.keys.default_dir`) and return the reply object.

    Raises :class:`NoOrchestrator` when no reply comes within ``timeout_s`` (nothing listening, or a hung
    orchestrator), :class:`NotAuthorized` when the orchestrator refused the key,
    :class:`~stage.core.keys.KeysError` when there are no usable keys,
    :class:`~stage.app.orchestrator.control.RequestError` for a reply that is not the protocol's.
    """
    pair, server_public = client_keys(keys_dir)
    context = zmq.Context.instance()
    sock = context.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    make_client(sock, pair, server_public)
    monitor = sock.get_monitor_socket(HANDSHAKE_FAILED)
    try:
        sock.connect(endpoint)
        sock.send(encode_request(cmd, **args))
        if not sock.poll(int(timeout_s * 1000)):
            if monitor.poll(0):
                raise NotAuthorized(endpoint, keys_dir)
            raise NoOrchestrator(endpoint)
        frames = sock.recv_multipart()
    except zmq.ZMQError as exc:
        if exc.errno == zmq.EINVAL:
            raise RequestError(f"invalid control endpoint {endpoint!r}") from None
        raise NoOrchestrator(endpoint) from None
    finally:
        sock.disable_monitor()
        monitor.close(linger=0)
        sock.close(linger=0)
    return decode_reply(frames[-1])


def down(endpoint: str, timeout_s: float = DEFAULT_TIMEOUT_S, keys_dir: Path | None = None) -> dict[str, Any]:
    """``ping`` first (so a missing orchestrator is reported in ``timeout_s``), then ``down`` with a long timeout."""
    request(endpoint, "ping", timeout_s, keys_dir)
    return request(endpoint, "down", max(timeout_s, DOWN_TIMEOUT_S), keys_dir)
