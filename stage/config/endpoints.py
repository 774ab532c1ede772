"""ZeroMQ endpoint strings in configs: the syntax we accept and the host and port in them."""

from __future__ import annotations

import re

ENDPOINT = re.compile(r"^(tcp)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+|\*):(\d{1,5}|\*)$|^(ipc|inproc)://.+$")
"""A ZeroMQ endpoint; a ``*`` port lets the system choose (the process logs the port it got)."""


def endpoint_host_port(endpoint: str) -> tuple[str, int] | None:
    """``(host, port)`` of a ``tcp://host:port`` endpoint with a fixed port; ``None`` otherwise."""
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
