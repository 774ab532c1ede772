"""Per-source counters: packets, accepted samples, rejects by reason, rate and added latency."""

from __future__ import annotations

from collections import Counter

import numpy as np

from stage.core.wire.pose import SourceStats

LATENCY_WINDOW = 4096
"""Latency samples kept per interval for the percentiles."""


class SourceCounters:
    """Counters of one source. ``snapshot`` closes an interval (rate, latency percentiles)."""

    def __init__(self, kind: str):
        self.kind = kind
        self.packets = 0
        self.accepted = 0
        self.rejects: Counter[str] = Counter()
        self._interval_accepted = 0
        self._latencies_s: list[float] = []
        self._last_rate_hz = 0.0
        self._last_p50: float | None = None
        self._last_p99: float | None = None

    def reject(self, reason: str) -> None:
        self.rejects[reason] += 1

    def accept(self, added_latency_s: float) -> None:
        self.accepted += 1
        self._interval_accepted += 1
        if len(self._latencies_s) < LATENCY_WINDOW:
            self._latencies_s.append(added_latency_s)

    def close_interval(self, interval_s: float) -> None:
        self._last_rate_hz = self._interval_accepted / interval_s if interval_s > 0 else 0.0
        if self._latencies_s:
            p50, p99 = np.percentile(np.asarray(self._latencies_s) * 1000.0, [50, 99])
            self._last_p50, self._last_p99 = float(p50), float(p99)
        else:
            self._last_p50 = self._last_p99 = None
        self._interval_accepted = 0
        self._latencies_s = []

    def snapshot(self, stale_cameras: list[str]) -> SourceStats:
        return SourceStats(
            kind=self.kind,
            packets=self.packets,
            accepted=self.accepted,
            rejects=dict(self.rejects),
            rate_hz=self._last_rate_hz,
            latency_ms_p50=self._last_p50,
            latency_ms_p99=self._last_p99,
            stale_cameras=stale_cameras,
        )

    def status_text(self) -> str:
        rejects = sum(self.rejects.values())
        lat = f"{self._last_p50:.2f}/{self._last_p99:.2f} ms" if self._last_p50 is not None else "-"
        return f"{self._last_rate_hz:.0f} Hz, {self.packets} packets, {rejects} rejects, latency p50/p99 {lat}"
