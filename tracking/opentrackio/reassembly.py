"""Reassemble segmented OpenTrackIO messages (small pure state, bounded memory, caller-supplied clock).

A message larger than one datagram is sent as segments, each with the byte offset of its payload in
the message; the final one has the last-segment flag. Two sequence-numbering styles exist and both
are accepted: every segment carrying the message's sequence number, or (what the SMPTE reference
sender does — see tests/data/reference/opentrackio/packets, sequences 3, 4, 5) each segment taking the next
number. A message is complete when a chain of segments covers offsets 0..end contiguously, ends in a
last segment, shares one encoding, and its sequence numbers are either all equal or consecutive.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import dataclass

from tracking.opentrackio.header import Datagram

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Message:
    """A complete message payload: ``encoding`` (0x01 JSON / 0x02 CBOR), ``sequence`` of its first
    segment, and the stitched ``payload`` bytes."""

    encoding: int
    sequence: int
    payload: bytes


@dataclass(slots=True)
class _Segment:
    sequence: int
    offset: int
    end: int
    last: bool
    encoding: int
    payload: bytes
    t_arrival: float


class Reassembler:
    """Stitch segments per sender into complete messages.

    Args:
        timeout_s: a segment older than this (by the ``now`` the caller passes) is dropped.
        max_pending: at most this many segments are held over all senders; the oldest go first.
        max_message_bytes: segments reaching past this offset are refused (memory bound).
    """

    def __init__(self, timeout_s: float = 0.25, max_pending: int = 256, max_message_bytes: int = 1 << 20) -> None:
        self.timeout_s = timeout_s
        self.max_pending = max_pending
        self.max_message_bytes = max_message_bytes
        # sender -> {(sequence, offset): segment}; and the end index {(sequence, end): segment}
        self._by_start: dict[Hashable, dict[tuple[int, int], _Segment]] = {}
        self._by_end: dict[Hashable, dict[tuple[int, int], _Segment]] = {}
        self._count = 0
        self.dropped = 0
        """Segments discarded unused (timeout, capacity, oversize), for the daemon's counters."""

    @property
    def pending(self) -> int:
        """Number of segments currently held."""
        return self._count

    def push(self, sender: Hashable, datagram: Datagram, now: float) -> Message | None:
        """Add one parsed datagram from ``sender`` (e.g. its address); return a complete message or None.

        ``now`` is a monotonic time in seconds. A datagram that is a whole message returns at once.
        """
        if datagram.is_complete:
            return Message(datagram.encoding, datagram.sequence, datagram.payload)
        self.expire(now)
        end = datagram.segment_offset + len(datagram.payload)
        if end > self.max_message_bytes or (not datagram.payload and not datagram.last_segment):
            self.dropped += 1
            logger.debug("refusing OpenTrackIO segment ending at byte %d from %r", end, sender)
            return None
        seg = _Segment(
            datagram.sequence, datagram.segment_offset, end, datagram.last_segment, datagram.encoding,
            datagram.payload, now,
        )
        starts = self._by_start.setdefault(sender, {})
        ends = self._by_end.setdefault(sender, {})
        old = starts.get((seg.sequence, seg.offset))
        if old is not None:  # duplicate (or a resend): replace it
            self._remove(sender, old)
            starts = self._by_start.setdefault(sender, {})
            ends = self._by_end.setdefault(sender, {})
        starts[(seg.sequence, seg.offset)] = seg
        ends[(seg.sequence, seg.end)] = seg
        self._count += 1
        chain = self._chain(sender, seg, step=0) or self._chain(sender, seg, step=1)
        if chain is not None:
            for part in chain:
                self._remove(sender, part)
            return Message(chain[0].encoding, chain[0].sequence, b"".join(p.payload for p in chain))
        while self._count > self.max_pending:
            self._evict_oldest()
        return None

    def expire(self, now: float) -> int:
        """Drop segments older than ``timeout_s``; return how many were dropped."""
        limit = now - self.timeout_s
        stale = [(s, seg) for s, segs in self._by_start.items() for seg in segs.values() if seg.t_arrival < limit]
        for sender, seg in stale:
            self._remove(sender, seg)
        self.dropped += len(stale)
        return len(stale)

    def clear(self) -> None:
        """Forget every pending segment."""
        self._by_start.clear()
        self._by_end.clear()
        self._count = 0

    def _chain(self, sender: Hashable, seg: _Segment, step: int) -> list[_Segment] | None:
        """Contiguous segments through ``seg`` whose sequence numbers advance by ``step`` (0 or 1)."""
        starts, ends = self._by_start[sender], self._by_end[sender]
        before: list[_Segment] = []
        cur = seg
        while cur.offset > 0:
            prev = ends.get(((cur.sequence - step) & 0xFFFF, cur.offset))
            if prev is None or prev.encoding != seg.encoding or prev.last:
                return None
            before.append(prev)
            cur = prev
        chain = before[::-1]
        chain.append(seg)
        cur = seg
        while not cur.last:
            nxt = starts.get(((cur.sequence + step) & 0xFFFF, cur.end))
            if nxt is None or nxt.encoding != seg.encoding:
                return None
            chain.append(nxt)
            cur = nxt
        return chain

    def _remove(self, sender: Hashable, seg: _Segment) -> None:
        starts, ends = self._by_start[sender], self._by_end[sender]
        if starts.get((seg.sequence, seg.offset)) is seg:
            del starts[(seg.sequence, seg.offset)]
            self._count -= 1
        if ends.get((seg.sequence, seg.end)) is seg:
            del ends[(seg.sequence, seg.end)]
        if not starts:
            del self._by_start[sender]
            self._by_end.pop(sender, None)

    def _evict_oldest(self) -> None:
        held = ((s, seg) for s, segs in self._by_start.items() for seg in segs.values())
        sender, seg = min(held, key=lambda item: item[1].t_arrival)
        self._remove(sender, seg)
        self.dropped += 1
