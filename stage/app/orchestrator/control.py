"""The orchestrator's control endpoint: JSON requests over ZeroMQ (``control.endpoint``, loopback by default).

Every client authenticates: the socket is a CURVE server and only clients whose public key is in the keys folder's
``authorized/`` get through (:mod:`stage.core.keys`); others get no answer at all.

The orchestrator binds a ROUTER socket; a client connects a REQ (or DEALER) socket and sends one frame, a UTF-8
JSON object ``{"cmd": NAME, ...arguments}``; the reply is one JSON object ``{"ok": true, ...}`` or
``{"ok": false, "error": "one line", "kind": "invalid"|"failed", "lines": [...]}`` (``lines``: every problem, for
``reload``). ``kind`` ``invalid`` means the request was refused and nothing changed (the CLI exits 2), ``failed``
that it could not be carried out (exit 1). Commands (:data:`COMMANDS`):

============== ==================================== ====================================================
cmd            arguments                            reply (besides ``ok``)
============== ==================================== ====================================================
``ping``       –                                    ``stage``, ``pid``
``status``     –                                    the whole status document (``stage status --json``)
``scene``      ``name`` (file stem or path)         ``changed``
``set``        ``param`` (dotted path), ``value``   ``changed`` (values as now held: clamped)
``undo``       –                                    ``changed``
``preset_save`` ``name``                            ``path``
``preset_recall`` ``name``                          ``changed``
``presets``    –                                    ``presets`` (names)
``reload``     –                                    ``applied``, ``restarted``, ``needs_restart``
``down``       –                                    ``stopped`` (exit codes); sent once every child is gone
============== ==================================== ====================================================

The server never blocks: malformed requests are answered at once; :meth:`ControlServer.receive` hands the rest to
the orchestrator, which may answer later (``down`` answers after the children are stopped).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import orjson
import zmq

from stage.core.files import json_object
from stage.core.keys import KeyPair, is_loopback, make_server

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 1
MAX_REQUEST_BYTES = 64 * 1024
MAX_DRAIN = 256
COMMANDS = ("ping", "status", "scene", "set", "undo", "preset_save", "preset_recall", "presets", "reload", "down")
REQUIRED_ARGS = {"scene": ("name",), "set": ("param", "value"), "preset_save": ("name",),
                 "preset_recall": ("name",)}


class RequestError(ValueError):
    """A request that does not follow the protocol; one-line message."""


@dataclass
class Request:
    """One parsed request and the routing frames needed to answer it."""

    envelope: list[bytes]
    cmd: str
    args: dict[str, Any] = field(default_factory=dict)


def parse_request(body: bytes) -> tuple[str, dict[str, Any]]:
    """``(cmd, arguments)`` of one request body; raises :class:`RequestError`. Pure."""
    try:
        data = json_object(body, MAX_REQUEST_BYTES)
    except ValueError as exc:
        raise RequestError(f"request {exc}") from None
    cmd = data.pop("cmd", None)
    if cmd not in COMMANDS:
        raise RequestError(f"unknown command {cmd!r} (commands: {', '.join(COMMANDS)})")
    missing = [a for a in REQUIRED_ARGS.get(cmd, ()) if a not in data]
    if missing:
        raise RequestError(f"{cmd}: missing {', '.join(missing)}")
    for key in ("name", "param"):
        if key in data and not isinstance(data[key], str):
            raise RequestError(f"{cmd}: {key} must be a string")
    return cmd, data


def encode_request(cmd: str, **args: Any) -> bytes:
    return orjson.dumps({"cmd": cmd, **args})


def ok(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


def refused(error: str, kind: str = "invalid", lines: list[str] | None = None) -> dict[str, Any]:
    """A negative reply; ``error`` is one line (the first of ``lines`` when several)."""
    return {"ok": False, "error": error.splitlines()[0] if error else kind, "kind": kind,
            "lines": lines or [error]}


def encode_reply(reply: dict[str, Any]) -> bytes:
    return orjson.dumps(reply, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS, default=str)


def decode_reply(body: bytes) -> dict[str, Any]:
    """The reply object; raises :class:`RequestError` when it is not one."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RequestError(f"reply is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("ok"), bool):
        raise RequestError("reply must be an object with a boolean ok")
    return data


class ControlServer:
    """ROUTER socket on the control endpoint; only moves bytes (parsing is :func:`parse_request`)."""

    def __init__(self, context: zmq.Context, endpoint: str, keys: KeyPair | None):
        """``keys``: the server's CURVE key pair (a ZAP authenticator on ``context`` decides who gets in);
        ``None`` only for tests of the protocol itself."""
        self.socket = context.socket(zmq.ROUTER)
        if keys is not None:
            make_server(self.socket, keys)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.ROUTER_MANDATORY, 0)
        self.socket.setsockopt(zmq.MAXMSGSIZE, MAX_REQUEST_BYTES + 1024)
        try:
            self.socket.bind(endpoint)
        except zmq.ZMQError:
            self.socket.close(linger=0)
            raise
        self.endpoint = self.socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self.requests = 0
        self.malformed = 0
        self.failed = 0
        """Requests whose handler raised an unexpected error (answered ``failed``; the show kept running)."""
        if not is_loopback(self.endpoint):
            log.warning("control endpoint %s is reachable from the network (CURVE-authenticated: %s)",
                        self.endpoint, "yes" if keys is not None else "NO")

    def receive(self) -> list[Request]:
        """Every waiting well-formed request; malformed ones are answered here and counted."""
        out = []
        for _ in range(MAX_DRAIN):
            try:
                frames = self.socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            if len(frames) < 2:
                continue
            envelope, body = frames[:-1], frames[-1]
            self.requests += 1
            try:
                cmd, args = parse_request(body)
            except RequestError as exc:
                self.malformed += 1
                self.reply(Request(envelope, "?"), refused(str(exc)))
                continue
            out.append(Request(envelope, cmd, args))
        return out

    def reply(self, request: Request, reply: dict[str, Any]) -> None:
        try:
            self.socket.send_multipart([*request.envelope, encode_reply(reply)], zmq.NOBLOCK)
        except zmq.ZMQError as exc:  # the client went away
            log.debug("reply to %s not sent: %s", request.cmd, exc)

    def close(self, linger_ms: int = 0) -> None:
        """Close; ``linger_ms`` lets the last replies (``down``) go out first."""
        self.socket.close(linger=linger_ms)
