"""The render cluster: frame lock across render nodes (docs/cluster.md)."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Literal

from pydantic import Field

from stage.core.config.frame_rate import FrameRate
from stage.core.config.types import Finite, StrictModel

Priority = Literal["normal", "high", "realtime"]
"""Scheduling priority of a cluster process (:mod:`stage.core.priority`)."""


class Cluster(StrictModel):
    """Frame lock: the leader (the orchestrator's frame clock) paces frames at ``frame_rate``, latches the newest
    pose of every camera and the live-state revision for each frame, and releases the nodes together from a swap
    barrier (docs/cluster.md)."""

    frame_lock: bool = False
    """Render nodes follow the leader's frames (``true``), or each runs on its own clock at ``render.target_fps``
    (``false``, the default)."""
    frame_rate: FrameRate = Fraction(60)
    """Frames per second, exact: ``24``, ``25``, ``"24000/1001"``; decimals such as ``23.976``, ``29.97`` or
    ``59.94`` are accepted and stored as their exact NTSC value (``24000/1001`` ...)."""
    barrier_timeout_ms: Annotated[Finite, Field(gt=0.0, le=10000.0)] = 100.0
    """A node not ready this long after a frame's time is dropped from the barrier, so the others keep their rate;
    it rejoins at a frame boundary when it reports ready again."""
    latch_margin_ms: Annotated[Finite, Field(ge=0.0, le=1000.0)] = 2.0
    """Safety margin of the late latch: the leader latches poses this long before the slowest node's recent render
    time would make the frame late."""
    phase_lock: bool = True
    """Phase-lock the frame grid to the tracking (the software equivalent of genlocking tracking to video): when the
    tracking rate is an integer multiple or submultiple of ``frame_rate``, the leader offsets its frames so it latches
    just after a pose arrives, slewing slowly (docs/cluster.md#phase-lock)."""
    phase_guard_ms: Annotated[Finite, Field(ge=0.0, le=100.0)] = 1.0
    """With the phase lock: how long after the late end of the usual pose arrival the leader latches."""
    priority: Priority = "normal"
    """Scheduling priority of ``stage clock``, of the tracking daemon (``stage track``: the clock latches what it
    publishes) and of every node (``nodes[].priority`` overrides it per node):
    ``normal``; ``high`` (nice −10); ``realtime`` (``SCHED_FIFO``: the barrier's messages wake the processes at once;
    needs root or ``CAP_SYS_NICE``, else one warning and normal priority). Like the "priority modifier" of nDisplay
    nodes in Unreal's Switchboard (docs/cluster.md#process-priority)."""
    frames: str = "tcp://127.0.0.1:5561"
    """Leader PUB of ``frame`` and ``release`` messages; nodes connect here. Across machines: the leader machine's
    address (docs/cluster.md)."""
    ready: str = "tcp://127.0.0.1:5562"
    """Leader PULL of the nodes' ``ready`` reports; nodes connect here."""
