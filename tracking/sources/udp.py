"""UDP receive sockets: unicast bind, or multicast group membership (OpenTrackIO 239.135.1.N), and the sender
allow-list of a source.

A unicast socket is bound *without* ``SO_REUSEADDR``: a port that another process holds is refused at start
(``OSError: address already in use``) instead of silently sharing — on Linux a second unicast receiver with the
option set would take the datagrams. Multicast receivers set it so several may join one group.
"""

from __future__ import annotations

import ipaddress
import socket
import struct

from stage.core.netfilter import AddressFilter
from tracking.stats import SourceCounters

RECV_BUFFER_BYTES = 4 * 1024 * 1024
"""Kernel receive buffer asked for: bursts from several trackers must not overflow it."""
MAX_DATAGRAM_BYTES = 65535
MAX_READS_PER_WAKE = 256
"""Datagrams drained per readable event before going back to the loop (timers stay on time)."""


def open_udp(address: str, port: int, interface: str = "0.0.0.0") -> socket.socket:
    """A non-blocking UDP socket bound to ``port``; joins ``address`` when it is a multicast group,
    else binds to ``address``. ``SO_REUSEADDR`` (only for multicast) lets several receivers share a group's port."""
    ip = ipaddress.ip_address(address)
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if ip.is_multicast:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUFFER_BYTES)
        except OSError:
            pass
        if ip.is_multicast:
            sock.bind(("", port))
            if family == socket.AF_INET:
                mreq = struct.pack("4s4s", ip.packed, socket.inet_aton(interface))
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
            else:
                mreq = struct.pack("16sI", ip.packed, 0)
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
        else:
            sock.bind((address, port))
        sock.setblocking(False)
        return sock
    except Exception:
        sock.close()
        raise


def drain(sock: socket.socket) -> list[tuple[bytes, tuple]]:
    """Every datagram waiting on ``sock`` (up to :data:`MAX_READS_PER_WAKE`) with its sender."""
    out = []
    for _ in range(MAX_READS_PER_WAKE):
        try:
            out.append(sock.recvfrom(MAX_DATAGRAM_BYTES))
        except (BlockingIOError, InterruptedError):
            break
    return out


def admitted(sock: socket.socket, senders: AddressFilter, counters: SourceCounters) -> list[tuple[bytes, tuple]]:
    """:func:`drain`, counting every datagram as a packet and every one from a sender outside ``senders`` as a
    ``sender_not_allowed`` reject; returns the rest."""
    out = []
    for data, sender in drain(sock):
        counters.packets += 1
        if senders.allows(sender[0]):
            out.append((data, sender))
        else:
            counters.reject("sender_not_allowed")
    return out
