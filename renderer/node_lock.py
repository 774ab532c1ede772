"""A render node in frame lock (docs/cluster.md): it renders the leader's frames, never latching poses of its own.

Each frame names the poses and the live-state revision the leader latched; the node applies that revision (its
state subscription keeps the last few), draws the poses at the frame's scene time (its due time, so animated scenes
are in phase on every node), waits for the GPU (``glFinish``, windows too), reports ready and presents when the
leader releases the frame: a window swaps then (swap interval 1: vsync; a minimised window is not swapped, so it
never holds the node up), headless the release is the present. A closed window stops the node (exit 0); the leader
drops it from the barrier at its timeout and the other nodes go on. ``--frame-log DIR`` appends one line per presented
frame to ``DIR/<node>.frames.jsonl``. Stats go out once a second as without frame lock.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

from renderer.frame_stats import FrameStats
from stage.core.cluster.frame_log import FrameLog
from stage.core.cluster.locked_render import LockedRenderer
from stage.core.cluster.node_loop import LockedLoop
from stage.core.config.paths import scene_file
from stage.core.live import LiveState
from stage.core.pose_latch import LatchedPose
from stage.core.wire.pose import PoseMessage
from stage.core.wire.render_stats import STATS_INTERVAL_S

log = logging.getLogger(__name__)


class Node(Protocol):
    """What frame lock uses of a render node (:class:`renderer.node.Node`), named here so that this module does
    not import the node that imports it."""

    args: Any
    config: Any
    config_path: Any
    scene_path: Any
    sockets: Any
    loader: Any
    gl: Any
    signals: Any
    timeline: Any
    lock: Any
    drawn: Any

    def poll_scene(self) -> None: ...

    def draw(self, poses: dict[str, LatchedPose], time_s: float) -> Any: ...

    def snapshot(self) -> None: ...

    def stats_message(self, stats: FrameStats, now: float, poses: dict[str, LatchedPose]) -> Any: ...


class LockedNode:
    """The node's operations as frame lock needs them."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.stats = FrameStats(time.monotonic())
        self.last_pub = time.monotonic()
        self.period_s = 1.0 / float(node.config.cluster.frame_rate)
        self.started = 0.0
        self.poses: dict[str, LatchedPose] = {}

    def receive_state(self, timeout_s: float) -> list[list[bytes]]:
        state = self.node.sockets.state
        if state is None or not state.poll(max(0, int(timeout_s * 1000))):
            return []
        return self.node.sockets.drain_state()

    def apply_state(self, live: LiveState) -> None:
        node = self.node
        if live.scene is not None:
            path = scene_file(node.config_path, None, live.scene)
            if path != node.scene_path:
                node.loader.request(path)  # prepared off the frame loop; see Node.poll_scene
        node.gl.apply_state(live)

    def draw(self, poses: dict[str, PoseMessage], time_s: float) -> None:
        self.started = time.monotonic()
        self.node.poll_scene()
        self.poses = {camera: LatchedPose(pose, self.started) for camera, pose in poses.items()}
        self.node.draw(self.poses, time_s)

    def finish(self) -> None:
        self.node.gl.finish()  # glFinish, windows too: the frame is drawn before the node reports ready

    def present(self) -> dict[str, Any]:
        """Present the frame just released; returns the frame-log fields that say how: ``present`` is
        ``release`` headless, ``swap`` when the windows were swapped (``t_swap``: the swap began, after the
        release; ``swap_interval`` 1: vsync) and ``hidden`` when every window is minimised (no swap)."""
        node = self.node
        how: dict[str, Any] = {"present": "release"}
        if node.gl.display != "headless":
            t_swap = time.time()
            swapped = node.gl.swap_shown()
            how = {"present": "swap" if swapped else "hidden", "t_swap": t_swap,
                   "swap_interval": node.gl.swap_interval}
        if node.signals.snapshot:
            node.signals.snapshot = False
            node.snapshot()
        finished, t_done = time.monotonic(), time.time()
        latencies = [(t_done - p.message.t_pub) * 1000.0 for p in self.poses.values()]
        ages = {c: (t_done - p.message.t_sample) * 1000.0 for c, p in self.poses.items()}
        self.stats.frame_done(self.started, finished, self.started + self.period_s, self.period_s, ages, latencies)
        if finished - self.last_pub >= STATS_INTERVAL_S:
            self.last_pub = finished
            node.sockets.publish(node.stats_message(self.stats, finished, self.poses))
        return how


def run_locked(node: Node) -> int:
    """The node's frame loop in frame lock; returns the exit code."""
    ops = LockedNode(node)
    render = LockedRenderer(node.timeline, ops.receive_state, ops.apply_state, ops.draw, ops.finish)
    frame_log = FrameLog(node.args.frame_log, node.args.node) if node.args.frame_log else None
    loop = LockedLoop(node.lock, render, ops.present, frame_log)
    end = time.monotonic() + node.args.duration if node.args.duration else None
    log.info("render node %s: frame lock at %s on %s", node.args.node, node.config.cluster.frame_rate,
             node.config.cluster.frames)
    closed = False

    def stop() -> bool:
        nonlocal closed
        closed = node.gl.poll_events()
        return closed or node.signals.stop or (end is not None and time.monotonic() >= end)

    try:
        loop.run(stop, leave_reason=lambda: "window closed" if closed else "stopped")
    finally:
        if frame_log is not None:
            frame_log.close()
    if node.args.snapshot_dir and node.drawn is not None:
        node.snapshot()
    if closed:  # the leave report told the leader: the other nodes go on without waiting for it
        log.info("render node %s: window closed: leaving the frame lock", node.args.node)
    log.info("render node %s: stopped (frame lock: %s)", node.args.node, loop.counts)
    return 0
