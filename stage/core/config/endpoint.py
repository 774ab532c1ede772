"""ZeroMQ endpoint syntax, checked once for configs and command lines (a port ZeroMQ would wrap silently, such as
``tcp://127.0.0.1:99999`` binding 34463, is refused)."""

from __future__ import annotations

import re

ENDPOINT = re.compile(r"^(tcp)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+|\*):(\d{1,5}|\*)$|^(ipc|inproc)://.+$")
"""A ZeroMQ endpoint; a ``*`` port lets the system choose (the process logs the port it got)."""


def endpoint_port(endpoint: str) -> tuple[str, int] | None:
    """``(host, port)`` of a ``tcp://`` endpoint with a numeric port, else None."""
    m = ENDPOINT.match(endpoint)
    if m is None or m.group(1) is None or m.group(3) == "*":
        return None
    return m.group(2), int(m.group(3))


def endpoint_host(endpoint: str) -> str | None:
    """The host of a ``tcp://`` endpoint (``*`` included, brackets of an IPv6 address removed); ``None`` for
    ``ipc://``, ``inproc://`` and malformed endpoints."""
    m = ENDPOINT.match(endpoint)
    if m is None or m.group(1) is None:
        return None
    return m.group(2).strip("[]")


def endpoint_problem(endpoint: str) -> str | None:
    """Why ``endpoint`` is not a usable ZeroMQ endpoint, or None."""
    if not ENDPOINT.match(endpoint):
        return f"not a ZeroMQ endpoint: {endpoint!r} (expected tcp://host:port, ipc://path or inproc://name)"
    hp = endpoint_port(endpoint)
    if hp is not None and not 1 <= hp[1] <= 65535:
        return f"port {hp[1]} out of range (1-65535)"
    return None
