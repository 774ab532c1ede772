"""The tracking daemon's event loop: inputs in, camera pipelines, ZeroMQ PUB out.

Single-threaded on purpose: one ``zmq.Poller`` waits on every UDP socket and the XPUB socket with a timeout
set by the next timer (simulated samples, delayed poses, stale re-sends, stats). No locks, no queues between
threads, and a datagram is published in the same loop iteration it was read.
"""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass

import zmq

from stage.core.config.cameras import Camera
from stage.core.config.sources import Source
from stage.core.wire.pose import (
    STALE_REPUBLISH_INTERVAL_S,
    STATS_INTERVAL_S,
    WIRE_VERSION,
    StatsMessage,
    encode_pose_dict,
    encode_stats,
)
from tracking.pipeline import CameraPipeline, Held, SolvedPose
from tracking.publisher import PosePublisher
from tracking.sources import make_input
from tracking.sources.base import Input

log = logging.getLogger(__name__)

STATUS_LOG_INTERVAL_S = 20.0
"""One status line per source this often (three a minute)."""
GC_GENERATION_PER_TICK = 2
"""Garbage collection on each stats tick (once a second): a full collection of what the loop allocated since
start-up takes well under a millisecond."""
MAX_POLL_S = 0.05
"""Upper bound of one poll, so a stop request is seen quickly."""


@dataclass
class TrackingSetup:
    """What the daemon needs from a stage config."""

    sources: list[Source]
    cameras: list[Camera]
    pose_endpoint: str
    base_dir: str = "."
    priority: str = "normal"
    """Scheduling priority (:mod:`stage.core.priority`): a frame-locked stage's ``cluster.priority``, since the
    frame clock latches what the daemon publishes."""


class _Route:
    """One input and the pipelines of the cameras it drives."""

    def __init__(self, inp: Input, pipelines: list[CameraPipeline]):
        self.input = inp
        self.pipelines = pipelines
        self.last_sample_mono: float | None = None
        self.stale = False
        self.next_stale_send = 0.0


class TrackingDaemon:
    """Owns the sockets; :meth:`run` loops until :meth:`stop` (or a signal handler calling it)."""

    def __init__(self, setup: TrackingSetup, context: zmq.Context | None = None):
        self.context = context or zmq.Context.instance()
        self.publisher = PosePublisher(self.context, setup.pose_endpoint)
        self.routes: list[_Route] = []
        self._running = False
        self.start_mono = time.monotonic()
        try:
            by_source: dict[str, list[Camera]] = {}
            for cam in setup.cameras:
                by_source.setdefault(cam.source, []).append(cam)
            for source in setup.sources:
                inp = make_input(source, setup.base_dir)
                pipes = [CameraPipeline(c, source.name, source.calibration) for c in by_source.get(source.name, [])]
                if not pipes:
                    log.warning("source %s drives no camera; its samples are counted and dropped", source.name)
                self.routes.append(_Route(inp, pipes))
        except Exception:
            self.close()
            raise
        self.poller = zmq.Poller()
        self.poller.register(self.publisher.socket, zmq.POLLIN)
        self._by_fd: dict[int, _Route] = {}
        for route in self.routes:
            fd = route.input.fileno()
            if fd is not None:
                self.poller.register(fd, zmq.POLLIN)
                self._by_fd[fd] = route
        self._next_stats = self.start_mono + STATS_INTERVAL_S
        self._next_status_log = self.start_mono + STATUS_LOG_INTERVAL_S
        self._last_stats = self.start_mono
        self._next_timer = self.start_mono

    @property
    def endpoint(self) -> str:
        return self.publisher.endpoint

    # -- the loop -------------------------------------------------------------------------------------------

    def stop(self) -> None:
        self._running = False

    def run(self, duration_s: float | None = None) -> None:
        """Loop until :meth:`stop`. Python's cyclic garbage collector is paused meanwhile and run on the stats tick
        instead: decoding allocates enough small objects to trigger a collection every few datagrams, and each one
        lands on some datagram's latency. The per-message path makes no reference cycles, so memory stays flat."""
        self._running = True
        end = None if duration_s is None else time.monotonic() + duration_s
        gc.collect()
        gc.freeze()  # everything allocated at start-up is never scanned again
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            while self._running:
                mono = time.monotonic()
                if end is not None and mono >= end:
                    break
                self.step(self._timeout(mono, end))
        finally:
            gc.unfreeze()
            if was_enabled:
                gc.enable()

    def _timeout(self, mono: float, end: float | None) -> float:
        """Seconds until the next timer; also sets ``_next_timer`` so :meth:`step` skips the timer work (a Python
        loop over every source) on wake-ups that only bring datagrams."""
        deadlines = [self._next_stats]
        for route in self.routes:
            if route.last_sample_mono is not None and not route.stale:
                deadlines.append(route.last_sample_mono + route.input.timeout_s)
            due = route.input.next_due()
            if due is not None:
                deadlines.append(due)
            for pipe in route.pipelines:
                pending = pipe.next_due()
                if pending is not None:
                    deadlines.append(pending)
            if route.stale:
                deadlines.append(route.next_stale_send)
        self._next_timer = min(deadlines)
        if end is not None:
            deadlines.append(end)
        return max(0.0, min(min(deadlines), mono + MAX_POLL_S) - mono)

    def step(self, timeout_s: float) -> None:
        """One poll and everything that became due."""
        events = dict(self.poller.poll(int(timeout_s * 1000.0 + 0.999)))
        now = time.time()
        if events.pop(self.publisher.socket, None):
            self.publisher.handle_subscriptions()
        for fd in events:
            route = self._by_fd.get(fd)
            if route is not None:
                self._deliver(route, route.input.read(now))
        mono = time.monotonic()
        if mono < self._next_timer:
            return
        self._next_timer = mono  # recomputed by the next _timeout()
        for route in self.routes:
            due = route.input.next_due()
            if due is not None and due <= mono:
                self._deliver(route, route.input.emit(mono, time.time()))
            self._flush_delayed(route, mono)
            self._check_stale(route, mono)
        if mono >= self._next_stats:
            self._publish_stats(mono)

    # -- samples → poses ------------------------------------------------------------------------------------

    def _deliver(self, route: _Route, received: list) -> None:
        if not received:
            return
        route.last_sample_mono = recv_mono = time.monotonic()
        if route.stale:
            log.info("source %s is back", route.input.name)
            route.stale = False
            for pipe in route.pipelines:
                pipe.reset_motion()
        counters = route.input.counters
        for sample, t_recv in received:
            matched = False
            for pipe in route.pipelines:
                if not pipe.accepts(sample):
                    continue
                matched = True
                pose = pipe.process(sample, t_recv, recv_mono)
                if pose is None:
                    counters.reject("non_finite")
                elif not isinstance(pose, Held):
                    self._publish(pose, stale=False, counters=counters)
                # a held pose is counted (rate, latency) when _flush_delayed publishes it
            if not matched:
                counters.reject("unknown_camera" if route.pipelines else "no_camera")

    def _publish(self, pose: SolvedPose, stale: bool, counters=None, held_s: float = 0.0) -> None:
        """Publish ``pose``; with ``counters``, count it accepted with its latency (receive → publish, less the
        ``held_s`` that a camera's configured delay held it back on purpose)."""
        t_pub = time.time()
        self.publisher.publish(encode_pose_dict(pose.body(t_pub, stale)))
        if counters is not None:
            counters.accept(max(0.0, t_pub - pose.t_recv - held_s))

    def _flush_delayed(self, route: _Route, mono: float) -> None:
        for pipe in route.pipelines:
            for pose in pipe.due(mono):
                self._publish(pose, stale=False, counters=route.input.counters, held_s=pipe.delay_s)

    def _check_stale(self, route: _Route, mono: float) -> None:
        if route.last_sample_mono is None:
            return
        if not route.stale and mono - route.last_sample_mono > route.input.timeout_s:
            route.stale = True
            route.next_stale_send = mono
            log.warning("source %s silent for %.0f ms: cameras stale", route.input.name, route.input.timeout_s * 1e3)
        if route.stale and mono >= route.next_stale_send:
            for pipe in route.pipelines:
                if pipe.last is not None:
                    self._publish(pipe.last, stale=True)
            route.next_stale_send = mono + STALE_REPUBLISH_INTERVAL_S

    # -- stats ----------------------------------------------------------------------------------------------

    def stats_message(self) -> StatsMessage:
        sources = {}
        for route in self.routes:
            stale = [p.camera.id for p in route.pipelines if route.stale]
            sources[route.input.name] = route.input.counters.snapshot(stale)
        return StatsMessage(
            v=WIRE_VERSION, t_pub=time.time(), uptime_s=time.monotonic() - self.start_mono, sources=sources
        )

    def _publish_stats(self, mono: float) -> None:
        gc.collect(GC_GENERATION_PER_TICK)
        for route in self.routes:
            route.input.counters.close_interval(mono - self._last_stats)
        self._last_stats = mono
        self._next_stats = mono + STATS_INTERVAL_S
        self.publisher.publish(encode_stats(self.stats_message()))
        if mono >= self._next_status_log:
            self._next_status_log = mono + STATUS_LOG_INTERVAL_S
            for route in self.routes:
                stale = " STALE" if route.stale else ""
                log.info("source %s (%s): %s%s", route.input.name, route.input.kind,
                         route.input.counters.status_text(), stale)

    def close(self) -> None:
        for route in self.routes:
            route.input.close()
        self.publisher.close()
