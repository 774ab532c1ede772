"""What the leader knows about one released frame: the record its telemetry and frame log are made from."""

from __future__ import annotations

from dataclasses import dataclass, field

from stage.core.wire.frame import FrameMessage, ReadyMessage


@dataclass
class ReleasedFrame:
    """One frame as the leader saw it, for telemetry and logs."""

    frame: FrameMessage
    t_release: float
    ready: dict[str, ReadyMessage]
    """Members' ready reports that arrived in time."""
    dropped: list[str]
    late: list[ReadyMessage] = field(default_factory=list)
    """Ready reports that arrived while this frame's barrier was open but were not for it."""
    ready_at_s: dict[str, float] = field(default_factory=dict)
    """Member → when its ready report arrived at the leader (leader clock)."""
    grid_offset_ms: float = 0.0
    """The frame grid's offset this frame was due on (:mod:`stage.core.cluster.phase_lock`)."""
    phase_lock: str = "off"
    """The phase lock's state when it was latched: ``locked``, ``slewing``, ``unlocked`` or ``off``."""
