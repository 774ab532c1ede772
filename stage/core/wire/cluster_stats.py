"""The cluster-stats stream: the leader's ``cluster/stats`` topic on ``cluster.frames``, once a second.

What an operator needs to see of the frame lock (for ``stage status``): per node its barrier state, frames, barrier
wait and drops, the poses of its last frame; per camera the tracking-to-present latency and where it goes, so delay
and prediction are set from a measurement. Two frames: the topic and a UTF-8 JSON :class:`ClusterStats`; readers
ignore unknown fields and reject another major version (:mod:`stage.core.wire.base`). Latencies compare clocks
of different machines (tracker, daemon, leader, nodes): across machines they are as good as PTP/NTP makes them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from stage.core.config.types import Finite
from stage.core.wire.base import VersionedMessage, WireError, WireModel
from stage.core.wire.frame import message_frames
from stage.core.wire.pose import split_frames, validate_body

CLUSTER_STATS_TOPIC = "cluster/stats"
STATS_INTERVAL_S = 1.0

Ms = Finite | None


class NodeLockStats(WireModel):
    """One node as the leader sees it."""

    state: str
    """``in`` (the barrier waits for it), ``joining`` (a member from the next frame) or ``dropped``."""
    frames: Annotated[int, Field(ge=0)]
    """Frames it was ready for in time, as a member."""
    drops: Annotated[int, Field(ge=0)]
    """Times it was dropped from the barrier."""
    joins: Annotated[int, Field(ge=0)]
    """Times it joined (the first time included)."""
    barrier_wait_ms_p50: Ms
    """Median time from its ``ready`` arriving to the release, at the leader, over the recent window."""
    barrier_wait_ms_p99: Ms
    """99th percentile of the same."""
    render_ms_p50: Ms
    """Median render time it reported."""
    render_ms_p99: Ms
    """99th percentile of the same."""
    last_frame: int | None
    """The last frame it was ready for."""
    last_poses: dict[str, int]
    """Camera → pose ``seq`` of that frame."""
    state_rev: int | None
    """Live-state revision of that frame."""


class CameraLatency(WireModel):
    """Tracking-to-present latency of one camera over the recent window, with its breakdown (medians, ms)."""

    samples: Annotated[int, Field(ge=0)]
    """(node, frame) presents measured."""
    total_ms_p50: Ms
    """Tracker sample (``t_sample``) → present, median."""
    total_ms_p99: Ms
    """99th percentile of the same."""
    tracker_ms_p50: Ms
    """``t_sample`` → the daemon received it."""
    daemon_ms_p50: Ms
    """Daemon received → published."""
    to_latch_ms_p50: Ms
    """Published → the leader latched it (includes waiting for the next frame)."""
    to_render_ms_p50: Ms
    """Latch → render start (the ``frame`` message to the node)."""
    render_ms_p50: Ms
    """Render start → end."""
    barrier_ms_p50: Ms
    """Render end → release received."""
    present_ms_p50: Ms
    """Release received → presented."""


class PhaseLockStats(WireModel):
    """The frame grid's phase lock to the tracking (docs/cluster.md#phase-lock)."""

    state: str
    """``locked`` (the latch falls just after the poses arrive), ``slewing`` (moving the grid there, at most 1 % of a
    period per frame), ``unlocked`` (no estimate: too few poses, or a tracking rate that is not an integer multiple
    or submultiple of the frame rate — the grid is left where it is) or ``off`` (``cluster.phase_lock: false``)."""
    camera: str | None
    """Camera whose poses the grid is locked to."""
    offset_ms: Finite
    """Frame ``N`` is due this long after ``N`` frame periods since the Unix epoch."""
    pose_phase_ms: Ms
    """When that camera's poses arrive (published by the daemon), within the lock modulus."""
    spread_ms: Ms
    """How much later than that a late arrival is (95th percentile)."""
    tracking_period_ms: Ms
    """Measured interval between its poses."""


class ClusterStats(VersionedMessage):
    """Body of a ``cluster/stats`` message."""

    leader: str
    """Id of the leader process."""
    t_pub: Finite
    """Publish time, Unix seconds."""
    rate: str
    """Frame rate, exact (``"24000/1001"``)."""
    frames: Annotated[int, Field(ge=0)]
    """Frames released since the leader started."""
    skipped: Annotated[int, Field(ge=0)]
    """Frames skipped because their due time passed before the leader latched them."""
    last_frame: int | None
    """The last frame released."""
    nodes: dict[str, NodeLockStats]
    """By node name."""
    cameras: dict[str, CameraLatency]
    """By camera id."""
    ready_rejects: Annotated[int, Field(ge=0)]
    """Malformed ``ready`` reports dropped."""
    phase_lock: PhaseLockStats | None = None
    """The grid's phase lock to the tracking (absent from leaders before it)."""


def encode(stats: ClusterStats) -> list[bytes]:
    return message_frames(CLUSTER_STATS_TOPIC, stats)


def decode(frames: list[bytes]) -> ClusterStats:
    """A ``cluster/stats`` message; raises :class:`~stage.core.wire.pose.WireError`."""
    topic, body = split_frames(frames)
    if topic != CLUSTER_STATS_TOPIC:
        raise WireError(f"not the {CLUSTER_STATS_TOPIC} topic: {topic!r}")
    return validate_body(ClusterStats, body, topic)


__all__ = ["CLUSTER_STATS_TOPIC", "STATS_INTERVAL_S", "CameraLatency", "ClusterStats",
           "NodeLockStats", "PhaseLockStats", "decode", "encode"]
