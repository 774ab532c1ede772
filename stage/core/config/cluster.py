"""The render cluster: frame lock across render nodes (docs/cluster.md)."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated

from pydantic import Field

from stage.core.config.frame_rate import FrameRate
from stage.core.config.types import Finite, StrictModel


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
    frames: str = "tcp://127.0.0.1:5561"
    """Leader PUB of ``frame`` and ``release`` messages; nodes connect here. Across machines: the leader machine's
    address (docs/cluster.md)."""
    ready: str = "tcp://127.0.0.1:5562"
    """Leader PULL of the nodes' ``ready`` reports; nodes connect here."""
