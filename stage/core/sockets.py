"""Small ZeroMQ helpers shared by every process that loops over sockets."""

from __future__ import annotations

import zmq


def drain(sock: zmq.Socket, limit: int) -> list[list[bytes]]:
    """Every message waiting on ``sock``, oldest first, at most ``limit`` (so a flood cannot starve a loop);
    never blocks."""
    out = []
    for _ in range(limit):
        try:
            out.append(sock.recv_multipart(zmq.NOBLOCK))
        except zmq.Again:
            break
    return out
