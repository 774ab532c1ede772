"""A render node's frame loop in frame lock: receive, render, ready, wait for the release, present, log.

The renderer plugs in two callables: ``render(frame) -> Rendered`` (draw exactly the poses and state revision the
frame names; return what was used) and ``present()`` (swap with vsync, or nothing headless: the release is the
present; it may return extra frame-log fields saying how it presented). While the leader is silent the node
presents nothing, so the wall holds its last frame; it continues with the next frame the leader sends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from stage.core.cluster.follower import FrameFollower
from stage.core.cluster.frame_log import FrameLog
from stage.core.wire.frame import FrameMessage, PresentReport

log = logging.getLogger(__name__)

LEADER_SILENT_S = 0.5
"""No frame (or no release) from the leader for this long: the node holds its last frame and says so once."""
PRESENTED, ABANDONED, SILENT, UNSYNCED = "presented", "abandoned", "silent", "unsynced"


@dataclass(frozen=True)
class Rendered:
    """What a frame was actually rendered from."""

    state_rev: int
    poses: dict[str, int]
    """Camera → pose ``seq``."""


def rendered_as_sent(frame: FrameMessage) -> Rendered:
    """The inputs a frame names (what a node that renders nothing "used")."""
    return Rendered(frame.state_rev, {camera: pose.seq for camera, pose in frame.poses.items()})


def release_wait_s(frame: FrameMessage, silent_s: float) -> float:
    """How long a node that reported ``frame`` ready waits for its release before it takes the leader for gone: the
    leader may wait up to its barrier timeout after the frame is due for a missing member, and the frame came
    ``t_frame − t_latch`` before it was due (durations of the leader's clock, so machines' clocks need not agree)."""
    return max(0.0, frame.t_frame - frame.t_latch) + frame.barrier_timeout_ms / 1000.0 + silent_s


class LockedLoop:
    """Runs frames from a :class:`FrameFollower` through ``render`` and ``present``."""

    def __init__(self, follower: FrameFollower, render: Callable[[FrameMessage], Rendered],
                 present: Callable[[], dict | None], frame_log: FrameLog | None = None,
                 leader_silent_s: float = LEADER_SILENT_S) -> None:
        self.follower = follower
        self.render = render
        self.present = present
        self.frame_log = frame_log
        self.leader_silent_s = leader_silent_s
        self.previous: PresentReport | None = None
        self.counts = {PRESENTED: 0, ABANDONED: 0, SILENT: 0, UNSYNCED: 0}
        self.holding = False
        self.in_barrier = False

    def _silent(self, what: str) -> str:
        self.counts[SILENT] += 1
        if not self.holding:
            self.holding = True
            held = self.previous.frame if self.previous else None
            log.warning("%s: no %s from the leader for %.1f s: holding frame %s", self.follower.node, what,
                        self.leader_silent_s, held)
        return SILENT

    def step(self) -> str:
        """One frame: ``presented``, ``abandoned`` (the leader moved on before releasing it), ``silent`` or
        ``unsynced`` (rendered from other inputs than the frame names: not reported, not shown)."""
        frame = self.follower.next_frame(self.leader_silent_s)
        if frame is None:
            return self._silent("frame")
        t_recv = time.time()
        if self.holding:
            self.holding = False
            log.info("%s: leader %s is back at frame %d", self.follower.node, frame.leader, frame.frame)
        t_start = time.time()
        rendered = self.render(frame)
        t_end = time.time()
        if rendered != rendered_as_sent(frame):
            # Not the frame's inputs (its state revision never arrived): no ready, no present. A member is dropped
            # at the barrier timeout and rejoins once it is in step again.
            self.counts[UNSYNCED] += 1
            if self.counts[UNSYNCED] <= 5 or self.counts[UNSYNCED] % 100 == 0:
                log.warning("%s: frame %d rendered from state rev %d, not the latched %d: not reported ready",
                            self.follower.node, frame.frame, rendered.state_rev, frame.state_rev)
            return UNSYNCED
        self.follower.ready(frame, rendered.state_rev, rendered.poses, t_recv, t_start, t_end, self.previous)
        release = self.follower.wait_release(frame, release_wait_s(frame, self.leader_silent_s))
        if release is None:
            if self.follower.pending is None:
                return self._silent("release")
            self.counts[ABANDONED] += 1
            return ABANDONED
        t_release_recv = time.time()
        how = self.present() or {}
        t_present = time.time()
        self.counts[PRESENTED] += 1
        self.previous = PresentReport(frame=frame.frame, t_release_recv=t_release_recv, t_present=t_present)
        in_barrier = self.follower.node in release.ready
        if in_barrier != self.in_barrier:
            self.in_barrier = in_barrier
            log.info("%s: %s at frame %d", self.follower.node,
                     "in the barrier" if in_barrier else "presenting outside the barrier (joining or dropped)",
                     frame.frame)
        if self.frame_log is not None:
            self.frame_log.write({
                "frame": frame.frame, "poses": rendered.poses, "state_rev": rendered.state_rev, "t_present": t_present,
                "t_frame": frame.t_frame, "t_latch": frame.t_latch, "t_frame_recv": t_recv,
                "t_render_start": t_start, "t_render_end": t_end, "t_release": release.t_release,
                "t_release_recv": t_release_recv,
                "pose_t": {c: [p.t_sample, p.t_recv, p.t_pub] for c, p in frame.poses.items()},
                "pose_position_m": {c: list(p.position_m) for c, p in frame.poses.items()},
                "pose_rotation_deg": {c: list(p.rotation_deg) for c, p in frame.poses.items()},
                "leader": frame.leader, "in_barrier": in_barrier, **how,
            })
        return PRESENTED

    def run(self, stop: Callable[[], bool], max_frames: int | None = None) -> None:
        """Frames until ``stop()`` (checked once a frame) or ``max_frames`` presented."""
        while not stop() and (max_frames is None or self.counts[PRESENTED] < max_frames):
            self.step()
