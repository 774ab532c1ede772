"""What a render node does with a frame-lock frame, apart from GL: render it from exactly the live-state revision
and the poses the leader latched, at the frame's own scene time.

:class:`LockedRenderer` is the ``render`` of :class:`~stage.core.cluster.node_loop.LockedLoop`. The node passes its own
operations in: ``apply_state(live)`` (the node's state application, scene changes included), ``draw(poses,
time_s)`` (its frame builder) and ``finish()`` (wait for the GPU: the frame is ready only when it is drawn). The
scene time is the frame's due time, so every node shows an animated scene in the same phase.
"""

from __future__ import annotations

from collections.abc import Callable

from stage.core.cluster.node_loop import Rendered
from stage.core.cluster.state_sync import StateTimeline
from stage.core.live import LiveState
from stage.core.wire.frame import FrameMessage
from stage.core.wire.pose import PoseMessage


def state_wait_s(frame: FrameMessage) -> float:
    """How long a node waits for a live-state revision that ``frame`` names but has not arrived yet: until half the
    barrier timeout after the frame is due (durations on the leader's clock). Normally the revision is there (the
    state stream is as fast as the frame stream); a node that just joined waits for its first snapshot."""
    return max(0.0, frame.t_frame - frame.t_latch) + frame.barrier_timeout_ms / 2000.0


class LockedRenderer:
    def __init__(self, timeline: StateTimeline, receive_state: Callable[[float], list[list[bytes]]],
                 apply_state: Callable[[LiveState], None],
                 draw: Callable[[dict[str, PoseMessage], float], None], finish: Callable[[], None]) -> None:
        self.timeline = timeline
        self.receive_state = receive_state
        self.apply_state = apply_state
        self.draw = draw
        self.finish = finish
        self.applied_rev: int | None = None

    def __call__(self, frame: FrameMessage) -> Rendered:
        rev, live = self.timeline.state_for(frame.state_rev, self.receive_state, state_wait_s(frame))
        if rev != self.applied_rev:
            self.apply_state(live)
            self.applied_rev = rev
        self.draw(dict(frame.poses), frame.t_frame)
        self.finish()
        return Rendered(rev, {camera: pose.seq for camera, pose in frame.poses.items()})
