"""Frame timing of a render node, pure Python (no GL, no sockets): frame times, deadlines, pose ages, percentiles.

The node calls :meth:`FrameStats.frame_done` once per frame with monotonic times and the poses it used, and
:meth:`FrameStats.interval` once a second to get the numbers for a :class:`~stage.core.wire.render_stats.RenderStats`
message. :class:`Pacer` decides when the next frame starts so that it finishes just before its deadline (late
latching: the poses are read as late as the predicted frame time allows).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

WINDOW_FRAMES = 240
"""Frame times kept for the pacer's prediction."""
LATCH_MARGIN_S = 0.002
"""Safety margin added to the predicted frame time when deciding when to latch poses."""


def percentile(values: list[float], pct: float) -> float | None:
    """Linear-interpolated percentile (numpy's default method) of ``values``; ``None`` when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    lo = math.floor(rank)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


@dataclass
class IntervalSummary:
    """What happened since the previous :meth:`FrameStats.interval` call."""

    frames: int
    fps: float
    frame_ms_p50: float | None
    frame_ms_p99: float | None
    pose_to_frame_ms_p50: float | None
    pose_to_frame_ms_p99: float | None


@dataclass
class FrameStats:
    """Counters and rolling windows of one node; all times in seconds (monotonic unless named ``t_``)."""

    start_s: float
    frame: int = 0
    missed_frames: int = 0
    pose_age_ms: dict[str, float] = field(default_factory=dict)
    _interval_start_s: float = 0.0
    _interval_frames: int = 0
    _frame_ms: list[float] = field(default_factory=list)
    _latency_ms: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._interval_start_s = self.start_s

    def frame_done(self, started_s: float, finished_s: float, deadline_s: float, period_s: float,
                   pose_ages_ms: dict[str, float], latencies_ms: list[float]) -> int:
        """Record one frame; returns how many deadlines it missed (0 when it finished in time)."""
        self.frame += 1
        self._interval_frames += 1
        self._frame_ms.append((finished_s - started_s) * 1000.0)
        self._latency_ms.extend(latencies_ms)
        self.pose_age_ms = dict(pose_ages_ms)
        missed = missed_deadlines(finished_s, deadline_s, period_s)
        self.missed_frames += missed
        return missed

    def interval(self, now_s: float) -> IntervalSummary:
        """Summarise and reset the interval window."""
        elapsed = max(now_s - self._interval_start_s, 1e-9)
        summary = IntervalSummary(
            frames=self._interval_frames,
            fps=self._interval_frames / elapsed,
            frame_ms_p50=percentile(self._frame_ms, 50),
            frame_ms_p99=percentile(self._frame_ms, 99),
            pose_to_frame_ms_p50=percentile(self._latency_ms, 50),
            pose_to_frame_ms_p99=percentile(self._latency_ms, 99),
        )
        self._interval_start_s, self._interval_frames = now_s, 0
        self._frame_ms, self._latency_ms = [], []
        return summary


def missed_deadlines(finished_s: float, deadline_s: float, period_s: float) -> int:
    """Deadlines passed by a frame due at ``deadline_s`` that finished at ``finished_s``."""
    if finished_s <= deadline_s:
        return 0
    return int((finished_s - deadline_s) // period_s) + 1


class Pacer:
    """Frame deadlines at ``1/fps``: :meth:`wake_at` says when to start a frame (latch poses) so that it finishes
    just before its deadline; :meth:`advance` moves to the next deadline, skipping the ones already lost."""

    def __init__(self, fps: float, now_s: float) -> None:
        self.period_s = 1.0 / fps
        self.deadline_s = now_s + self.period_s
        self._work_s: deque[float] = deque(maxlen=WINDOW_FRAMES)

    def predicted_work_s(self) -> float:
        """A pessimistic frame time: the 90th percentile of recent frames (0 before the first)."""
        return percentile(list(self._work_s), 90) or 0.0

    def wake_at(self) -> float:
        """Monotonic time at which to start the next frame."""
        return self.deadline_s - min(self.period_s, self.predicted_work_s() + LATCH_MARGIN_S)

    def advance(self, started_s: float, finished_s: float) -> None:
        """Record a frame's work time and move the deadline past ``finished_s``."""
        self._work_s.append(finished_s - started_s)
        self.deadline_s += self.period_s
        if finished_s > self.deadline_s:  # fell behind: skip the lost deadlines instead of rushing to catch up
            lost = math.ceil((finished_s - self.deadline_s) / self.period_s)
            self.deadline_s += lost * self.period_s
