"""FreeD D1 over UDP: each datagram is parsed on its own; rejects are counted by reason."""

from __future__ import annotations

import logging

from stage.core.config.sources import FreeDSource
from stage.core.netfilter import AddressFilter
from tracking.errors import TrackingParseError
from tracking.freed import parse_d1, to_sample
from tracking.freed_presets import get_preset
from tracking.sources.base import Input, Received
from tracking.sources.udp import admitted, open_udp

log = logging.getLogger(__name__)


class FreeDInput(Input):
    kind = "freed"

    def __init__(self, config: FreeDSource):
        super().__init__(config.name, config.timeout_ms / 1000.0)
        self.preset = get_preset(config.preset).with_raw_ranges(config.zoom_range, config.focus_range)
        self.port = config.port if config.port is not None else self.preset.default_port
        self.senders = AddressFilter(config.allowed_senders, empty_allows_all=True)
        self.sock = open_udp(config.bind, self.port)

    def fileno(self) -> int:
        return self.sock.fileno()

    def read(self, now: float) -> list[Received]:
        out: list[Received] = []
        for data, sender in admitted(self.sock, self.senders, self.counters):
            try:
                out.append((to_sample(parse_d1(data), self.preset), now))
            except TrackingParseError as exc:
                self.counters.reject(exc.reason)
                log.debug("%s: reject from %s: %s", self.name, sender, exc)
        return out

    def close(self) -> None:
        self.sock.close()
