"""The leader's per-frame telemetry, summarised for ``stage status``
(:class:`~stage.core.wire.cluster_stats.ClusterStats`).

Fed one :class:`~stage.core.cluster.leader.ReleasedFrame` per frame. A node's ``ready`` carries its render times of
that frame and, in ``previous``, the release and present times of the frame it presented before, so a frame's whole
timeline — tracker sample, daemon receive and publish, latch, render, release, present — is complete one frame
later. Pure: no sockets, no clock.
"""

from __future__ import annotations

import statistics
from collections import OrderedDict, deque
from dataclasses import dataclass, field

import numpy as np

from stage.core.cluster.barrier import Membership
from stage.core.cluster.phase_lock import PhaseLock
from stage.core.cluster.records import ReleasedFrame
from stage.core.wire.base import WIRE_MAJOR
from stage.core.wire.cluster_stats import CameraLatency, ClusterStats, NodeLockStats, PhaseLockStats
from stage.core.wire.frame import ReadyMessage

WINDOW = 600
"""Samples kept per percentile (ten seconds at 60 fps)."""
FRAMES_KEPT = 240
"""Frames remembered for matching the present reports that come a frame later."""
STAGES = ("tracker", "daemon", "to_latch", "to_render", "render", "barrier", "present")
PRESENT_WINDOW = 120
"""Present reports the prediction to the present time takes its median over (``latency.mode: present``)."""


def _pct(samples: deque[float], q: float) -> float | None:
    return round(float(np.percentile(np.fromiter(samples, dtype=float), q)), 3) if samples else None


@dataclass
class _NodeWindow:
    wait_ms: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW))
    render_ms: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW))
    last: ReadyMessage | None = None


@dataclass
class _CameraWindow:
    total_ms: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW))
    stages: dict[str, deque[float]] = field(default_factory=lambda: {s: deque(maxlen=WINDOW) for s in STAGES})
    samples: int = 0


class ClusterTelemetry:
    def __init__(self) -> None:
        self.nodes: dict[str, _NodeWindow] = {}
        self.cameras: dict[str, _CameraWindow] = {}
        self.frames: OrderedDict[int, ReleasedFrame] = OrderedDict()
        self.last_frame: int | None = None
        self.present_after_due_s: deque[float] = deque(maxlen=PRESENT_WINDOW)
        """How long after its due time (``t_frame``) each recent frame was presented, every node's reports."""

    def present_after_due_p50_s(self) -> float:
        """Median of :attr:`present_after_due_s`, at least 0 (0 before any report): when a frame appears, relative
        to its due time (``latency.mode: present`` predicts to it)."""
        if not self.present_after_due_s:
            return 0.0
        return max(0.0, statistics.median(self.present_after_due_s))  # a few µs: the leader asks before each latch

    def record(self, released: ReleasedFrame) -> None:
        frame = released.frame.frame
        self.last_frame = frame
        self.frames[frame] = released
        while len(self.frames) > FRAMES_KEPT:
            self.frames.popitem(last=False)
        for node, ready in released.ready.items():
            window = self.nodes.setdefault(node, _NodeWindow())
            window.last = ready
            window.render_ms.append((ready.t_render_end - ready.t_render_start) * 1000.0)
            arrived = released.ready_at_s.get(node)
            if arrived is not None:
                window.wait_ms.append(max(0.0, released.t_release - arrived) * 1000.0)
        for ready in [*released.ready.values(), *released.late]:
            self._presented(ready)

    def _presented(self, ready: ReadyMessage) -> None:
        """The frame ``ready.previous`` names, presented by ``ready.node``: one latency sample per camera."""
        report = ready.previous
        if report is None:
            return
        earlier = self.frames.get(report.frame)
        rendered = earlier.ready.get(ready.node) if earlier is not None else None
        if earlier is None or rendered is None:
            return  # not a frame this leader released with that node in time
        t_latch = earlier.frame.t_latch
        self.present_after_due_s.append(report.t_present - earlier.frame.t_frame)
        for camera, pose in earlier.frame.poses.items():
            window = self.cameras.setdefault(camera, _CameraWindow())
            window.samples += 1
            window.total_ms.append((report.t_present - pose.t_sample) * 1000.0)
            spans = (pose.t_recv - pose.t_sample, pose.t_pub - pose.t_recv, t_latch - pose.t_pub,
                     rendered.t_render_start - t_latch, rendered.t_render_end - rendered.t_render_start,
                     report.t_release_recv - rendered.t_render_end, report.t_present - report.t_release_recv)
            for stage, seconds in zip(STAGES, spans, strict=True):
                window.stages[stage].append(seconds * 1000.0)

    def stats(self, *, leader: str, rate: str, t_pub: float, frames: int, skipped: int, ready_rejects: int,
              membership: Membership, phase: PhaseLock | None = None) -> ClusterStats:
        nodes = {}
        for name, record in sorted(membership.nodes.items()):
            window = self.nodes.get(name, _NodeWindow())
            last = window.last
            nodes[name] = NodeLockStats(
                state=record.state, frames=record.frames_ready, drops=record.drops, joins=record.joins,
                barrier_wait_ms_p50=_pct(window.wait_ms, 50), barrier_wait_ms_p99=_pct(window.wait_ms, 99),
                render_ms_p50=_pct(window.render_ms, 50), render_ms_p99=_pct(window.render_ms, 99),
                last_frame=last.frame if last else None, last_poses=dict(last.poses) if last else {},
                state_rev=last.state_rev if last else None)
        cameras = {}
        for camera, window in sorted(self.cameras.items()):
            cameras[camera] = CameraLatency(
                samples=window.samples, total_ms_p50=_pct(window.total_ms, 50), total_ms_p99=_pct(window.total_ms, 99),
                **{f"{stage}_ms_p50": _pct(window.stages[stage], 50) for stage in STAGES})
        return ClusterStats(v=WIRE_MAJOR, leader=leader, t_pub=t_pub, rate=rate, frames=frames,
                            skipped=skipped, last_frame=self.last_frame, nodes=nodes, cameras=cameras,
                            ready_rejects=ready_rejects, phase_lock=phase_stats(phase) if phase else None)


def phase_stats(phase: PhaseLock) -> PhaseLockStats:
    """What ``stage status`` shows of the phase lock."""
    estimate = phase.estimate

    def ms(ns: float | None) -> float | None:
        return None if ns is None else round(ns / 1e6, 3)

    return PhaseLockStats(state=phase.state if phase.enabled else "off", camera=phase.camera,
                          offset_ms=round(phase.offset_ns / 1e6, 3),
                          pose_phase_ms=ms(estimate.phase_ns if estimate else None),
                          spread_ms=ms(estimate.spread_ns if estimate else None),
                          tracking_period_ms=ms(estimate.tracking_period_ns if estimate else None))
