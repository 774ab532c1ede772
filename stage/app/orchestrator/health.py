"""What the orchestrator knows about the show's health: the newest render stats of every node, the tracking
daemon's stats, and the one-line summary ``stage up`` shows (pure apart from the clock passed in)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from stage.app.orchestrator.children import CLOCK, TRACKING, node_of
from stage.core.wire import cluster_stats, render_stats
from stage.core.wire.pose import StatsMessage, WireError, decode_stats

log = logging.getLogger(__name__)

STATS_FRESH_S = 3.0
"""Stats older than this are shown as missing (the producer publishes once a second)."""


@dataclass
class _Latest:
    value: object
    arrived_s: float


class Health:
    """Newest stats per render node and from the tracking daemon, with their arrival times (monotonic s)."""

    def __init__(self, nodes: list[str]):
        self.nodes = list(nodes)
        self.render: dict[str, _Latest] = {}
        self.tracking: _Latest | None = None
        self.cluster: _Latest | None = None
        """The frame clock's newest ``cluster/stats`` (frame lock only)."""
        self.rejects = 0
        self.unknown_nodes = 0
        """Render stats from node names that are not in the config: counted and dropped (any local process can
        publish there; keeping them would let it grow this table without bound)."""

    def on_render(self, frames: list[bytes], now: float) -> None:
        try:
            stats = render_stats.decode(frames)
        except WireError as exc:
            self._reject(exc)
            return
        if stats.node not in self.nodes:
            self.unknown_nodes += 1
            if self.unknown_nodes <= 5 or self.unknown_nodes % 1000 == 0:
                log.warning("render stats from unknown node %r dropped (#%d)", stats.node[:64], self.unknown_nodes)
            return
        self.render[stats.node] = _Latest(stats, now)

    def set_nodes(self, nodes: list[str]) -> None:
        """The configured nodes changed (reload): forget the stats of removed ones."""
        self.nodes = list(nodes)
        self.render = {n: v for n, v in self.render.items() if n in self.nodes}

    def last_report(self, child: str) -> float | None:
        """Arrival time (monotonic) of the newest stats of child ``child`` (``tracking`` or ``render-<node>``)."""
        if child == TRACKING:
            return self.tracking.arrived_s if self.tracking else None
        if child == CLOCK:
            return self.cluster.arrived_s if self.cluster else None
        latest = self.render.get(node_of(child, self.nodes))
        return latest.arrived_s if latest else None

    def on_tracking(self, frames: list[bytes], now: float) -> None:
        try:
            self.tracking = _Latest(decode_stats(frames), now)
        except WireError as exc:
            self._reject(exc)

    def on_cluster(self, frames: list[bytes], now: float) -> None:
        try:
            self.cluster = _Latest(cluster_stats.decode(frames), now)
        except WireError as exc:
            self._reject(exc)

    def cluster_doc(self, now: float) -> dict | None:
        """The frame clock's newest ``cluster/stats`` as JSON (docs/cluster.md), or None when none is fresh."""
        if self.cluster is None or now - self.cluster.arrived_s > STATS_FRESH_S:
            return None
        return self.cluster.value.model_dump(mode="json")  # type: ignore[attr-defined]

    def _reject(self, exc: WireError) -> None:
        self.rejects += 1
        if self.rejects <= 5 or self.rejects % 100 == 0:
            log.warning("malformed stats message #%d: %s", self.rejects, exc)

    def node_stats(self, node: str, now: float) -> render_stats.RenderStats | None:
        latest = self.render.get(node)
        if latest is None or now - latest.arrived_s > STATS_FRESH_S:
            return None
        return latest.value  # type: ignore[return-value]

    def tracking_stats(self, now: float) -> StatsMessage | None:
        if self.tracking is None or now - self.tracking.arrived_s > STATS_FRESH_S:
            return None
        return self.tracking.value  # type: ignore[return-value]

    def nodes_doc(self, now: float) -> dict[str, dict]:
        """Per node: the newest stats (``null`` fields when none came for a while) and their age."""
        out = {}
        for node in self.nodes:
            latest = self.render.get(node)
            stats = self.node_stats(node, now)
            doc = stats.model_dump(mode="json") if stats else {"fps": None, "frame": None, "state_rev": None}
            doc["stats_age_s"] = round(now - latest.arrived_s, 3) if latest else None
            out[node] = doc
        return out

    def tracking_doc(self, now: float) -> dict:
        stats = self.tracking_stats(now)
        doc = stats.model_dump(mode="json") if stats else {"sources": {}}
        doc["stats_age_s"] = round(now - self.tracking.arrived_s, 3) if self.tracking else None
        doc["pose_rate_hz"] = sum(s.rate_hz for s in stats.sources.values()) if stats else None
        return doc

    def stale_cameras(self, now: float) -> list[str]:
        stale: set[str] = set()
        for node in self.nodes:
            stats = self.node_stats(node, now)
            if stats:
                stale.update(stats.stale_cameras)
        tracking = self.tracking_stats(now)
        if tracking:
            for source in tracking.sources.values():
                stale.update(source.stale_cameras)
        return sorted(stale)

    def status_line(self, now: float, stage: str, processes: dict[str, dict], errors: int,
                    last_error: str | None) -> str:
        """``Demo stage | node1 59.9 fps | cam1 60 Hz age 14 ms | stale - | restarts 0 | errors 0``."""
        parts = [stage]
        for node in self.nodes:
            stats = self.node_stats(node, now)
            parts.append(f"{node} {stats.fps:.1f} fps" if stats else f"{node} -- fps")
        tracking = self.tracking_stats(now)
        rate = f"{sum(s.rate_hz for s in tracking.sources.values()):.0f} Hz" if tracking else "tracking --"
        ages = [age for n in self.nodes if (s := self.node_stats(n, now)) for age in s.pose_age_ms.values()]
        parts.append(f"pose {rate} age {max(ages):.0f} ms" if ages else f"pose {rate} age --")
        parts.append("stale " + (",".join(self.stale_cameras(now)) or "-"))
        down = [name for name, p in processes.items() if p["state"] != "running"]
        parts.append(f"restarts {sum(p['restarts'] for p in processes.values())}")
        if down:
            parts.append("DOWN " + ",".join(down))
        parts.append(f"errors {errors}" + (f" (last: {last_error})" if last_error and errors else ""))
        return " | ".join(parts)
