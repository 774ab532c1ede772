"""Tracking source models: FreeD, OpenTrackIO, simulated camera moves, recorded takes."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import Field, field_validator

from stage.core.config.types import Finite, Name, NonNegativeFloat, Port, PositiveFloat, StrictModel, Vec3

FREED_PRESETS = ("generic", "sony", "panasonic", "stype", "mosys", "ncam", "zcam")

RawCount = Annotated[int, Field(ge=0, le=0xFFFFFF)]
"""A raw unsigned 24-bit FreeD encoder count."""


class Calibration(StrictModel):
    """Tracker-to-stage transform: a tracker position ``p`` maps to ``R @ p + translation_m``,
    with ``R`` from ``rotation_deg`` in the stage convention (pan, tilt, roll; docs/coordinates.md)."""

    translation_m: Vec3 = (0.0, 0.0, 0.0)
    """Position of the tracker origin in stage metres."""
    rotation_deg: Vec3 = (0.0, 0.0, 0.0)
    """Orientation of the tracker axes in the stage, ``[pan, tilt, roll]`` degrees."""


class _SourceBase(StrictModel):
    name: Name
    """Unique source name; cameras refer to it."""
    calibration: Calibration = Calibration()
    """Tracker-to-stage transform."""
    timeout_ms: Annotated[Finite, Field(gt=0.0, le=60000.0)] = 250.0
    """After this long without a sample the source's cameras are published with ``stale: true``."""


def _check_ip(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError as exc:
        raise ValueError(f"not an IP address: {value!r}") from exc
    return value


def check_networks(value: list[str]) -> list[str]:
    """Every item an IP address or subnet (CIDR)."""
    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as exc:
            raise ValueError(f"not an address or subnet (CIDR): {item!r}") from exc
    return value


class _UdpSource(_SourceBase):
    allowed_senders: Annotated[list[str], Field(max_length=256)] = []
    """Addresses or subnets (CIDR, e.g. ``10.0.5.20`` or ``10.0.5.0/24``) whose datagrams are accepted; others are
    dropped and counted (reject reason ``sender_not_allowed``). Empty: any sender. A source address can be
    spoofed on a shared network: fence the tracking network as well (docs/reliability.md#security)."""

    _senders = field_validator("allowed_senders")(check_networks)


class FreeDSource(_UdpSource):
    """FreeD D1 over UDP."""

    kind: Literal["freed"]
    bind: str = "127.0.0.1"
    """Local address to receive on: the address of the interface facing the trackers (``0.0.0.0``: every
    interface). The port must be free: a second receiver is refused, never silently shares it."""
    port: Port | None = None
    """UDP port; default: the preset's, as Unreal Live Link FreeD lists them (generic, sony, zcam 40000;
    panasonic 1111; mosys 8001; stype, ncam 6301)."""
    preset: Literal["generic", "sony", "panasonic", "stype", "mosys", "ncam", "zcam"] = "generic"
    """Vendor preset: axis mapping and how zoom/focus/spare bits are read (docs/tracking.md)."""
    zoom_range: tuple[RawCount, RawCount] | None = None
    """Raw zoom counts ``[wide, tele]`` normalised to 0..1 instead of the preset's range, e.g. ``[0, 16384]``
    for a PTZ camera that uses only part of FreeD's 24 bits."""
    focus_range: tuple[RawCount, RawCount] | None = None
    """Raw focus counts ``[infinity, closest]`` normalised to 0..1 instead of the preset's range."""

    _bind_ip = field_validator("bind")(_check_ip)

    @field_validator("zoom_range", "focus_range")
    @classmethod
    def _range_not_empty(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and value[0] == value[1]:
            raise ValueError(f"the two ends must differ, got {list(value)}")
        return value


class OpenTrackIOLimits(StrictModel):
    """Sanity limits that go beyond the OpenTrackIO schema (which only asks for numbers, or positive ones). A message
    with a value outside them is rejected and counted under reason ``limit`` (docs/tracking.md)."""

    max_position_m: PositiveFloat = 1000.0
    """Largest ``|x|``, ``|y|``, ``|z|`` of any translation, and largest distance of the composed camera position from
    the stage origin, metres."""
    max_entrance_pupil_m: PositiveFloat = 10.0
    """Largest ``|lens.entrancePupilOffset|``, metres."""
    max_fstop: PositiveFloat = 1000.0
    """Largest ``lens.fStop``."""
    max_focal_length_mm: PositiveFloat = 5000.0
    """Largest ``lens.pinholeFocalLength``, millimetres."""
    max_sensor_mm: PositiveFloat = 1000.0
    """Largest ``static.camera.activeSensorPhysicalDimensions`` width and height, millimetres (zero is refused
    too: the renderer divides by them)."""


class OpenTrackIOSource(_UdpSource):
    """SMPTE RIS-OSVP OpenTrackIO over UDP, unicast or multicast (239.135.1.N)."""

    kind: Literal["opentrackio"]
    address: str = "239.135.1.1"
    """Multicast group to join, or a local unicast address to bind (a unicast port must be free: a second receiver
    is refused)."""
    port: Port = 55555
    """UDP port."""
    interface: str = "0.0.0.0"
    """Local interface address for multicast membership."""
    limits: OpenTrackIOLimits = OpenTrackIOLimits()
    """Limits beyond the schema; a value outside them rejects the message (reason ``limit``)."""

    _address_ip = field_validator("address", "interface")(_check_ip)


class SimulatedSource(_SourceBase):
    """A simulated camera move (seeded, reproducible)."""

    kind: Literal["simulated"]
    move: Literal["static", "orbit", "dolly", "crane", "handheld"] = "orbit"
    """Camera move."""
    rate_hz: Annotated[Finite, Field(gt=0.0, le=2000.0)] = 60.0
    """Samples per second."""
    center_m: Vec3 = (0.0, 0.0, 1.6)
    """Centre of the move (orbit centre, dolly midpoint, static position), stage metres."""
    target_m: Vec3 = (0.0, 4.0, 1.6)
    """Point the camera looks at during orbit, dolly and crane moves, stage metres."""
    extent_m: NonNegativeFloat = 1.0
    """Size of the move: orbit radius, dolly half-length, crane half-height, metres."""
    period_s: PositiveFloat = 8.0
    """Time for one full cycle of the move, seconds."""
    noise: NonNegativeFloat = 0.0
    """Handheld shake amplitude (metres for position, ×10 degrees for angles)."""
    seed: int = 0
    """Random seed for handheld noise."""
    zoom_pull: tuple[Finite, Finite] | None = None
    """Optional zoom encoder pull ``[from, to]`` over one period."""
    time_base: Literal["start", "unix"] = "start"
    """Time the move is a function of: ``start`` — seconds since the source started (each run begins at the start
    of the move); ``unix`` — the sample time ``t_sample`` in Unix seconds, so any process on the same clock can
    compute where the camera truly was at any instant (``tracking.simulate.SimulatedMove.at``; the picture-under-motion
    benchmark compares every presented frame with it)."""


class ReplaySource(_SourceBase):
    """Replay of a recorded take (JSON lines written by ``stage record``)."""

    kind: Literal["replay"]
    take: str
    """Path to the take file, relative to the config file."""
    speed: Literal["realtime", "fast"] = "realtime"
    """``realtime`` keeps the recorded timing; ``fast`` sends as fast as possible."""
    loop: bool = False
    """Start again at the end of the take."""


Source = Annotated[
    FreeDSource | OpenTrackIOSource | SimulatedSource | ReplaySource, Field(discriminator="kind")
]
