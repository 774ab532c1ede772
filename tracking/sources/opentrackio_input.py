"""OpenTrackIO over UDP (unicast or multicast): parse, reassemble segments, drop duplicates, decode.

Every datagram ends in exactly one of: a sample, an accepted state-only message (lens or static without
``transforms``: ``accepted`` is counted, nothing is published), a pending segment, or a counted reject. A failure
that no parser anticipated is still counted (``internal``) and logged, never raised into the daemon's loop.
"""

from __future__ import annotations

import logging
import time

from stage.core.config.sources import OpenTrackIOSource
from stage.core.netfilter import AddressFilter
from tracking.errors import TrackingParseError
from tracking.opentrackio.decode import SourceCache, decode_payload, sample_from_message
from tracking.opentrackio.header import parse_datagram
from tracking.opentrackio.reassembly import Reassembler
from tracking.sequence import SequenceGate
from tracking.sources.base import Input, Received
from tracking.sources.udp import admitted, open_udp

log = logging.getLogger(__name__)


class OpenTrackIOInput(Input):
    kind = "opentrackio"

    def __init__(self, config: OpenTrackIOSource):
        super().__init__(config.name, config.timeout_ms / 1000.0)
        self.senders = AddressFilter(config.allowed_senders, empty_allows_all=True)
        self.sock = open_udp(config.address, config.port, config.interface)
        self.reassembler = Reassembler()
        self.gate = SequenceGate()
        self.cache = SourceCache()
        self.limits = config.limits
        self._dropped_seen = 0

    def fileno(self) -> int:
        return self.sock.fileno()

    def read(self, now: float) -> list[Received]:
        out: list[Received] = []
        mono = time.monotonic()
        for data, sender in admitted(self.sock, self.senders, self.counters):
            try:
                message = self.reassembler.push(sender, parse_datagram(data), mono)
                if message is None:
                    continue
                if self.gate.is_duplicate(sender, message.sequence, message.payload, mono):
                    self.counters.reject("duplicate")
                    continue
                body = decode_payload(message.encoding, message.payload)
                sample = sample_from_message(body, self.cache, self.limits, _sender_name(sender))
                t_sample = sample.t_sample if sample is not None else None
                verdict = self.gate.admit(sender, message.sequence, message.payload, t_sample, mono)
                if verdict is not None:
                    self.counters.reject(verdict)
                elif sample is None:
                    self.counters.accepted += 1  # lens/static state updated; no pose to publish
                else:
                    out.append((sample, now))
            except TrackingParseError as exc:
                self.counters.reject(exc.reason)
                log.debug("%s: reject from %s: %s", self.name, sender, exc)
            except Exception:  # last resort: a bug must cost one datagram, not the daemon
                self.counters.reject("internal")
                log.exception("%s: unexpected error on a datagram from %s", self.name, _sender_name(sender))
        dropped = self.reassembler.dropped
        if dropped > self._dropped_seen:
            self.counters.rejects["incomplete"] += dropped - self._dropped_seen
            self._dropped_seen = dropped
        return out

    def close(self) -> None:
        self.sock.close()


def _sender_name(sender: tuple) -> str:
    """``host:port`` of a UDP sender: the source id of a message that carries no ``sourceId`` of its own."""
    return f"{sender[0]}:{sender[1]}"

