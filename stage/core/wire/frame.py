"""The frame-lock protocol between the leader (the frame clock) and the render nodes (docs/cluster.md).

Two sockets, both bound by the leader:

* ``cluster.frames`` — leader PUB, nodes SUB. Topic ``frame``: a :class:`FrameMessage` (what to render: the frame
  number, the pose of every camera and the live-state revision, latched by the leader). Topic ``release``: a
  :class:`ReleaseMessage` (present frame N now). PUB keeps order, so a node sees ``release N`` before
  ``frame N+1``.
* ``cluster.ready`` — leader PULL, nodes PUSH. Topic ``ready/<node>``: a :class:`ReadyMessage` (frame N rendered,
  waiting at the barrier), which also reports the node's timings of the previous frame it presented.

Every message has two frames: the topic (UTF-8) and a UTF-8 JSON object. Readers are lenient: fields they do not
know are ignored, so a newer writer can add fields; a different major version ``v`` is rejected with
:class:`~stage.core.wire.base.WireError` (the rules of :mod:`stage.core.wire.base`). Times are seconds since the Unix
epoch (``t_*``); durations carry ``_ms``. Frame numbers count frame periods since the Unix epoch
(``floor((t − offset) · rate)``, where the offset is the leader's phase lock to the tracking, never negative), so they
keep increasing across a restart of the leader. Nodes take the due time from ``t_frame``, never from the number.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from stage.core.config.types import Finite
from stage.core.wire.base import WIRE_MAJOR, VersionedMessage, WireError, WireModel
from stage.core.wire.pose import PoseMessage, decode_keyed, split_frames, validate_body

FRAME_TOPIC = "frame"
RELEASE_TOPIC = "release"
READY_TOPIC_PREFIX = "ready/"

FrameNumber = Annotated[int, Field(ge=0)]


class FrameMessage(VersionedMessage):
    """Body of a ``frame`` message: what every node renders for frame ``frame``."""

    leader: str
    """Id of the leader process that sent it (new at every start of the leader)."""
    frame: FrameNumber
    """Frame number: whole frame periods since the Unix epoch at ``rate`` (less the grid offset of the phase lock)."""
    rate: str
    """Frame rate, exact: ``"24"``, ``"24000/1001"``."""
    t_frame: Finite
    """When the frame is due: the start of its frame period on the leader's grid (phase-locked to the tracking, so
    not necessarily a whole number of periods since the epoch)."""
    t_latch: Finite
    """When the leader latched the poses and the state revision."""
    state_rev: int
    """Live-state revision to render with (``-1``: the config's initial state)."""
    poses: dict[str, PoseMessage]
    """Per camera, the newest pose at the latch, as the tracking daemon published it (docs/wire-protocol.md), or for
    a camera with ``latency.mode: present`` that pose extrapolated to ``t_frame`` plus the camera's ``latency.ms``
    (position, angles and ``world_from_camera``); its ``seq``, ``t_sample``, ``t_recv`` and ``t_pub`` trace the frame
    to the tracker."""
    members: list[str]
    """Nodes the barrier of this frame waits for."""
    barrier_timeout_ms: Annotated[Finite, Field(ge=0.0)]
    """How long after ``t_frame`` the leader waits for the members before it releases without the missing ones: a
    node waiting for the release knows the leader is gone only when it is silent beyond that."""


class ReleaseMessage(VersionedMessage):
    """Body of a ``release`` message: present frame ``frame`` now."""

    leader: str
    """Id of the leader process."""
    frame: FrameNumber
    """The frame released."""
    t_release: Finite
    """When the leader released it."""
    ready: list[str]
    """Members that were ready in time."""
    dropped: list[str]
    """Members dropped from the barrier at this frame (not ready within ``cluster.barrier_timeout_ms``)."""


class PresentReport(WireModel):
    """A node's timings of a frame it presented (sent with its next ``ready``)."""

    frame: FrameNumber
    """The frame presented."""
    t_release_recv: Finite
    """When the node received the release."""
    t_present: Finite
    """When the frame was presented (swap returned, or the release for a headless node)."""


class ReadyMessage(VersionedMessage):
    """Body of a ``ready/<node>`` message: ``node`` rendered ``frame`` and waits at the barrier."""

    node: str
    """Render node name (also the topic suffix)."""
    leader: str
    """Id of the leader whose frame this is."""
    frame: FrameNumber
    """The frame rendered."""
    state_rev: int
    """Live-state revision it was rendered with."""
    poses: dict[str, Annotated[int, Field(ge=0)]]
    """Per camera, the ``seq`` of the pose it was rendered from."""
    t_frame_recv: Finite
    """When the node received the ``frame`` message."""
    t_render_start: Finite
    """Render start."""
    t_render_end: Finite
    """Render end (the GPU finished)."""
    t_ready: Finite
    """When this message was sent."""
    previous: PresentReport | None = None
    """The last frame this node presented, if any."""


def message_frames(topic: str, message: WireModel) -> list[bytes]:
    """The two frames of a message: topic, JSON body."""
    return [topic.encode(), message.model_dump_json().encode()]


def encode_frame(message: FrameMessage) -> list[bytes]:
    return message_frames(FRAME_TOPIC, message)


def encode_release(message: ReleaseMessage) -> list[bytes]:
    return message_frames(RELEASE_TOPIC, message)


def encode_ready(message: ReadyMessage) -> list[bytes]:
    return message_frames(READY_TOPIC_PREFIX + message.node, message)


def decode_leader(frames: list[bytes]) -> FrameMessage | ReleaseMessage:
    """A message from ``cluster.frames``; raises :class:`WireError`."""
    topic, body = split_frames(frames)
    if topic == FRAME_TOPIC:
        return validate_body(FrameMessage, body, topic)
    if topic == RELEASE_TOPIC:
        return validate_body(ReleaseMessage, body, topic)
    raise WireError(f"unknown frame-lock topic {topic!r}")


def decode_ready(frames: list[bytes]) -> ReadyMessage:
    """A ``ready/<node>`` message; raises :class:`WireError`."""
    return decode_keyed(frames, READY_TOPIC_PREFIX, ReadyMessage, "node")


__all__ = ["FRAME_TOPIC", "READY_TOPIC_PREFIX", "RELEASE_TOPIC", "WIRE_MAJOR", "FrameMessage", "PresentReport",
           "ReadyMessage", "ReleaseMessage", "decode_leader", "decode_ready", "encode_frame", "encode_ready",
           "encode_release", "message_frames"]
