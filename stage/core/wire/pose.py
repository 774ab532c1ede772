"""The pose stream: ``pose/<camera>`` and ``stats`` topics on the tracking daemon's ZeroMQ PUB socket.

Every message has two frames: the topic (UTF-8) and a UTF-8 JSON object. This module is the contract
(docs/wire-protocol.md is generated from the models here); any language with ZeroMQ and JSON can consume it.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, TypeVar

import orjson
from pydantic import Field, ValidationError

from stage.core.config.types import Finite
from stage.core.wire.base import WIRE_MAJOR, WIRE_MINOR, VersionedMessage, WireError, WireModel, check_major  # noqa: F401

WIRE_VERSION = WIRE_MAJOR
"""The protocol major version writers put in ``v`` (see :mod:`stage.core.wire.base`)."""
POSE_TOPIC_PREFIX = "pose/"
STATS_TOPIC = "stats"
STATS_INTERVAL_S = 1.0
"""The daemon publishes ``stats`` this often."""
STALE_REPUBLISH_INTERVAL_S = 0.1
"""While a camera is stale its last pose is re-sent this often (10 Hz) with ``stale: true``."""
MAX_MESSAGE_BYTES = 64 * 1024


M = TypeVar("M", bound=WireModel)

Vec3 = tuple[Finite, Finite, Finite]
Row4 = tuple[Finite, Finite, Finite, Finite]


class PoseMessage(VersionedMessage):
    """Body of a ``pose/<camera>`` message: one camera's pose at one instant."""

    camera: str
    """Camera id (also the topic suffix)."""
    source: str
    """Name of the tracking source that produced it."""
    seq: Annotated[int, Field(ge=0)]
    """Per-camera message counter, +1 for every new sample; a re-sent last value repeats its seq."""
    t_sample: Finite
    """When the tracker measured the pose: OpenTrackIO sample timestamp (PTP), else the receive time; seconds since
    the Unix epoch."""
    t_recv: Finite
    """When the daemon received the datagram, seconds since the Unix epoch."""
    t_pub: Finite
    """When the daemon published this message, seconds since the Unix epoch."""
    position_m: Vec3
    """Tracked position ``[x, y, z]`` in stage metres (docs/coordinates.md), after the source's calibration."""
    rotation_deg: Vec3
    """``[pan, tilt, roll]`` in degrees, stage convention: R = Rz(pan)·Rx(tilt)·Ry(roll)."""
    world_from_camera: tuple[Row4, Row4, Row4, Row4]
    """4×4 camera-to-stage matrix, row-major, OpenGL camera axes (+X right, +Y up, looking down −Z); its
    translation is the tracked position (not the entrance pupil)."""
    focal_length_mm: Annotated[Finite, Field(gt=0.0)]
    """Focal length in millimetres (from the lens table, the tracker, or the fixed lens)."""
    sensor_mm: tuple[Annotated[Finite, Field(gt=0.0)], Annotated[Finite, Field(gt=0.0)]]
    """Active sensor ``[width, height]`` in millimetres."""
    focus_m: Annotated[Finite, Field(gt=0.0)] | None
    """Focus distance in metres, when known."""
    entrance_pupil_m: Finite
    """Entrance-pupil offset along the optical axis from ``position_m``, metres (forward positive); the projection
    centre is ``position_m + entrance_pupil_m · forward``."""
    fstop: Annotated[Finite, Field(gt=0.0)] | None
    """Aperture f-number, when known."""
    timecode: str | None
    """SMPTE timecode ``HH:MM:SS:FF`` of the sample, when the tracker sends one."""
    stale: bool
    """True when the source has been silent longer than its timeout: this is the last good pose, re-sent."""
    zoom_encoder: Finite | None = None
    """Normalised zoom encoder of the sample, 0 = wide .. 1 = telephoto (OpenTrackIO ``lens.encoders``), when the
    tracker sends one. Absent in takes recorded before it existed."""
    focus_encoder: Finite | None = None
    """Normalised focus encoder, 0 = infinity .. 1 = closest, when the tracker sends one."""
    iris_encoder: Finite | None = None
    """Normalised iris encoder, 0 = open .. 1 = closed, when the tracker sends one."""


class SourceStats(WireModel):
    """Counters of one tracking source since the daemon started."""

    kind: str
    """Source kind: ``freed``, ``opentrackio``, ``simulated``, ``replay``."""
    packets: Annotated[int, Field(ge=0)]
    """Datagrams (or samples) received."""
    accepted: Annotated[int, Field(ge=0)]
    """Samples that produced a published pose, plus OpenTrackIO messages without ``transforms`` that updated a
    source's lens or static state."""
    rejects: dict[str, int]
    """Rejected datagrams by reason (``bad_length``, ``bad_checksum``, ``bad_json``, ``schema``, ``non_finite``,
    ``limit``, ``duplicate``, ``incomplete``, ``internal``, ...; docs/tracking.md)."""
    rate_hz: Annotated[Finite, Field(ge=0.0)]
    """Accepted samples per second over the last interval."""
    latency_ms_p50: Finite | None
    """Median of receive → publish time over the last interval, milliseconds; for a camera with ``latency.mode:
    delay`` the configured delay is not counted (the daemon's own latency)."""
    latency_ms_p99: Finite | None
    """99th percentile of receive → publish over the last interval, milliseconds (likewise)."""
    stale_cameras: list[str]
    """Cameras of this source that are currently stale."""


class StatsMessage(VersionedMessage):
    """Body of a ``stats`` message, published once a second."""

    t_pub: Finite
    """Publish time, seconds since the Unix epoch."""
    uptime_s: Annotated[Finite, Field(ge=0.0)]
    """Seconds since the daemon started."""
    sources: dict[str, SourceStats]
    """Per-source counters, by source name."""


def pose_topic(camera: str) -> str:
    return POSE_TOPIC_PREFIX + camera


def encode_pose_dict(body: dict[str, Any]) -> list[bytes]:
    """Frames for a pose body that the caller built with every field of :class:`PoseMessage`.

    This is the daemon's hot path: it does not re-validate (the daemon validates each value where it is
    computed); :func:`decode_pose` validates on the way in.
    """
    return [(POSE_TOPIC_PREFIX + body["camera"]).encode(), orjson.dumps(body)]


def encode_stats(message: StatsMessage) -> list[bytes]:
    return [STATS_TOPIC.encode(), message.model_dump_json().encode()]


def decode_keyed(frames: list[bytes], prefix: str, model: type[M], key: str) -> M:
    """Validate a ``<prefix><name>`` message whose body's ``key`` field must equal ``<name>``; raises
    :class:`WireError` naming the topic, field and reason. Shared by every keyed topic (poses, render stats)."""
    topic, body = split_frames(frames)
    if not topic.startswith(prefix):
        raise WireError(f"not a {prefix}* topic: {topic!r}")
    message = validate_body(model, body, topic)
    if topic[len(prefix):] != getattr(message, key):
        raise WireError(f"{topic}: {key} field {getattr(message, key)!r} does not match the topic")
    return message


def split_frames(frames: list[bytes]) -> tuple[str, bytes]:
    """``(topic, body)`` of a two-frame message, size- and encoding-checked."""
    if len(frames) != 2:
        raise WireError(f"expected 2 frames (topic, JSON body), got {len(frames)}")
    topic_raw, body = frames
    if len(body) > MAX_MESSAGE_BYTES:
        raise WireError(f"body too large: {len(body)} bytes")
    try:
        return topic_raw.decode("utf-8"), body
    except UnicodeDecodeError as exc:
        raise WireError(f"topic is not UTF-8 (byte {exc.start})") from None


def validate_body(model: type[M], body: bytes, topic: str) -> M:
    """``body`` validated against ``model`` after the major version check (:func:`~stage.core.wire.base.check_major`),
    unknown fields ignored; the first problem becomes a one-line :class:`WireError`."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise WireError(f"{topic}: body is not JSON: {exc}") from None
    if issubclass(model, VersionedMessage):
        check_major(data, topic)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"]) or "body"
        raise WireError(f"{topic}: {where}: {err['msg']}") from None


def decode_pose(frames: list[bytes]) -> PoseMessage:
    """Validate a ``pose/<camera>`` message; raises :class:`WireError`."""
    return decode_keyed(frames, POSE_TOPIC_PREFIX, PoseMessage, "camera")


def decode_stats(frames: list[bytes]) -> StatsMessage:
    topic, body = split_frames(frames)
    if topic != STATS_TOPIC:
        raise WireError(f"not the stats topic: {topic!r}")
    return validate_body(StatsMessage, body, topic)


def decode_any(frames: list[bytes]) -> PoseMessage | StatsMessage:
    """Decode either topic (for ``stage tap`` and tests)."""
    topic, _ = split_frames(frames)
    return decode_stats(frames) if topic == STATS_TOPIC else decode_pose(frames)


def finite_or_none(value: float | None) -> float | None:
    """``value`` when it is a finite number, else ``None``."""
    return value if value is not None and math.isfinite(value) else None
