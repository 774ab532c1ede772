"""The render-stats stream: each render node's ``render/<node>`` topic on ``endpoints.render_stats``.

A render node **connects** a ZeroMQ PUB socket to ``endpoints.render_stats`` and publishes one message a second
(:data:`STATS_INTERVAL_S`); the orchestrator binds a SUB socket there (subscribing to ``render/``), so any number of
nodes share one endpoint. A consumer that wants to fan the stream out further runs an XSUB/XPUB proxy. Messages
sent before a connection completes are simply lost: the stream is a status display, not a log.

Every message has two frames: the topic ``render/<node>`` (UTF-8) and a UTF-8 JSON :class:`RenderStats` object.
Times are seconds since the Unix epoch; durations carry ``_ms`` in their names.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from stage.core.config.types import Finite
from stage.core.wire.base import VersionedMessage
from stage.core.wire.pose import MAX_MESSAGE_BYTES, WIRE_VERSION, decode_keyed

RENDER_TOPIC_PREFIX = "render/"
STATS_INTERVAL_S = 1.0
"""A render node publishes its stats this often."""

NonNegative = Annotated[Finite, Field(ge=0.0)]


class RenderStats(VersionedMessage):
    """Body of a ``render/<node>`` message: one render node's health over the last interval."""

    node: str
    """Render node name (also the topic suffix)."""
    t_pub: Finite
    """Publish time, seconds since the Unix epoch."""
    uptime_s: NonNegative
    """Seconds since the node started."""
    display: str
    """``headless`` or ``windowed``."""
    scene: str | None
    """Scene file the node is drawing."""
    state_rev: int
    """Revision of the live state the node applied last (``-1``: still the config's initial state)."""
    frame: Annotated[int, Field(ge=0)]
    """Frames drawn since start; keeps increasing while the node is healthy, whatever its inputs do."""
    fps: NonNegative
    """Frames per second over the last interval."""
    frame_ms_p50: NonNegative | None
    """Median time from latching the poses to the frame being finished (``glFinish``/swap), last interval, ms."""
    frame_ms_p99: NonNegative | None
    """99th percentile of the same."""
    missed_frames: Annotated[int, Field(ge=0)]
    """Frame deadlines (1/``render.target_fps``) missed since start."""
    pose_age_ms: dict[str, Finite]
    """Per camera: age of the pose used by the last frame at its render start, ``now − t_sample``, ms. Keeps growing
    while a camera's tracking is silent."""
    pose_to_frame_ms_p50: NonNegative | None
    """Median of pose publish (``t_pub``) → frame finished over poses first used in the last interval, ms."""
    pose_to_frame_ms_p99: NonNegative | None
    """99th percentile of the same."""
    stale_cameras: list[str]
    """Cameras whose pose is stale: flagged stale by the tracking daemon, or no message for a while."""
    rejects: dict[str, int]
    """Malformed messages since start by stream: ``pose``, ``state`` (the node logs and drops them)."""
    state_ignored: Annotated[int, Field(ge=0)]
    """State deltas ignored since start because their base was not the node's revision."""
    output_bits: dict[str, Annotated[int, Field(ge=1, le=16)]] = {}
    """Per output: bits per colour channel of its signal as drawn (10 for an HDR output; 8 where a window's display
    gave fewer than asked). Empty from nodes older than this field."""


def render_topic(node: str) -> str:
    return RENDER_TOPIC_PREFIX + node


def encode(stats: RenderStats) -> list[bytes]:
    """The two frames of a stats message."""
    return [render_topic(stats.node).encode(), stats.model_dump_json().encode()]


def decode(frames: list[bytes]) -> RenderStats:
    """Validate a ``render/<node>`` message; raises :class:`~stage.core.wire.pose.WireError`."""
    return decode_keyed(frames, RENDER_TOPIC_PREFIX, RenderStats, "node")


__all__ = ["MAX_MESSAGE_BYTES", "RENDER_TOPIC_PREFIX", "STATS_INTERVAL_S", "WIRE_VERSION", "RenderStats",
           "decode", "encode", "render_topic"]
