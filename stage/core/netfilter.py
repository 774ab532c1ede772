"""Sender allow-lists: whether a datagram's source address is inside a list of networks (CIDR). Used by the OSC
server (``control.allowed_clients``, ``control.osc_reply_clients``) and the UDP tracking sources
(``allowed_senders``). A source address says where a datagram claims to come from, not who sent it: on a shared
network it can be spoofed (docs/reliability.md#security)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

CACHE_ENTRIES = 1024
"""Decisions remembered per filter (cleared when full, so a flood of new addresses costs memory only up to this)."""


class AddressFilter:
    """Membership of host addresses in a list of networks; IPv4-mapped IPv6 addresses count as IPv4. An empty list
    allows everyone when ``empty_allows_all``, nobody otherwise. Raises ``ValueError`` for a bad network."""

    def __init__(self, networks: Iterable[str], empty_allows_all: bool = False):
        self.networks = [ipaddress.ip_network(n, strict=False) for n in networks]
        self.allow_all = empty_allows_all and not self.networks
        self._cache: dict[str, bool] = {}

    def allows(self, host: str) -> bool:
        if self.allow_all:
            return True
        hit = self._cache.get(host)
        if hit is None:
            try:
                ip = ipaddress.ip_address(host.split("%")[0])
            except ValueError:
                hit = False
            else:
                if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
                    ip = ip.ipv4_mapped
                hit = any(ip.version == net.version and ip in net for net in self.networks)
            if len(self._cache) >= CACHE_ENTRIES:
                self._cache.clear()
            self._cache[host] = hit
        return hit
