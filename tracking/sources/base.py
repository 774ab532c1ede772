"""The small interface every tracking input implements."""

from __future__ import annotations

from tracking.sample import TrackerSample
from tracking.stats import SourceCounters

Received = tuple[TrackerSample, float]
"""A sample and its receive time (seconds since the Unix epoch)."""


class Input:
    """Base of all inputs. Socket inputs return a file descriptor from :meth:`fileno` and deliver samples from
    :meth:`read`; timed inputs return ``None`` there and deliver from :meth:`emit` when :meth:`next_due` (a
    ``time.monotonic()`` value) has come."""

    kind = "input"

    def __init__(self, name: str, timeout_s: float):
        self.name = name
        self.timeout_s = timeout_s
        self.counters = SourceCounters(self.kind)

    def fileno(self) -> int | None:
        return None

    def read(self, now: float) -> list[Received]:
        """Drain what is readable; ``now`` is the wall-clock receive time to stamp."""
        return []

    def next_due(self) -> float | None:
        return None

    def emit(self, mono: float, now: float) -> list[Received]:
        return []

    @property
    def finished(self) -> bool:
        """True when a finite input (a replay without loop) has nothing more to send."""
        return False

    def close(self) -> None:
        pass
