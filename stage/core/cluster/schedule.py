"""When the leader latches and releases each frame: pure arithmetic on nanoseconds of the Unix clock.

Frame ``N`` is due at ``frame_start_ns(N, rate)`` plus the grid offset (``offset_ns``: 0 unless the phase lock
moved the grid to the tracking, :mod:`stage.core.cluster.phase_lock`). The leader latches poses ``lead`` before
that, as late as the nodes' recent render times allow (:class:`LatchLead`), and releases the barrier at the due time
or when the last member is ready, whichever is later.
"""

from __future__ import annotations

from collections import deque
from fractions import Fraction

import numpy as np

from stage.core.config.frame_rate import frame_at, frame_period_ns, frame_start_ns

LEAD_WINDOW = 120
"""Frames of history the late latch adapts over."""
LEAD_PERCENTILE = 99.0
"""The lead covers this percentile of the recent latch → last-ready times."""
MIN_LEAD_NS = 200_000
"""Never latch later than this before a frame is due (0.2 ms)."""


def next_frame(after: int | None, now_ns: int, rate: Fraction, offset_ns: int = 0) -> int:
    """The first frame after ``after`` that is not yet due at ``now_ns``: a leader that fell behind skips frames
    instead of running late (one that is only past the latch time latches at once, with less render time)."""
    upcoming = frame_at(now_ns - offset_ns, rate) + 1
    return upcoming if after is None else max(after + 1, upcoming)


class LatchLead:
    """How long before a frame is due the leader latches: the recent critical path (latch → the last member
    ready) at :data:`LEAD_PERCENTILE`, plus a margin, within one frame period. Until it has history it uses half a
    period."""

    def __init__(self, rate: Fraction, margin_ns: int) -> None:
        self.period_ns = int(frame_period_ns(rate))
        self.margin_ns = margin_ns
        self.samples: deque[int] = deque(maxlen=LEAD_WINDOW)

    def record(self, latch_to_last_ready_ns: int) -> None:
        self.samples.append(max(0, latch_to_last_ready_ns))

    def lead_ns(self) -> int:
        if not self.samples:
            return self.period_ns // 2
        critical = float(np.percentile(np.fromiter(self.samples, dtype=np.int64), LEAD_PERCENTILE))
        return int(min(self.period_ns, max(MIN_LEAD_NS, critical + self.margin_ns)))


def due_ns(frame: int, rate: Fraction, offset_ns: int = 0) -> int:
    """When ``frame`` is due (Unix nanoseconds) on a grid offset by ``offset_ns``."""
    return frame_start_ns(frame, rate) + offset_ns
