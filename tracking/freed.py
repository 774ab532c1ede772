"""FreeD type D1 messages: pure parse/encode and the mapping to stage conventions.

Wire format (Vinten free-d manual v1.4.4, Appendix A/B), 29 bytes, big-endian:

====== ====== ==============================================================
byte   size   field
====== ====== ==============================================================
0      1      message type, 0xD1
1      1      camera id (0..255)
2      3      pan, signed 24-bit, 1/32768 degree (positive = pan RIGHT)
5      3      tilt, signed 24-bit, 1/32768 degree (positive = up)
8      3      roll, signed 24-bit, 1/32768 degree
11     3      X position, signed 24-bit, 1/64 mm
14     3      Y position, signed 24-bit, 1/64 mm
17     3      Z position (height), signed 24-bit, 1/64 mm
20     3      zoom, unsigned 24-bit raw encoder counts
23     3      focus, unsigned 24-bit raw encoder counts
26     2      spare / "user defined" 16 bits (vendors put iris here)
28     1      checksum = (0x40 - sum of bytes 0..27) mod 256
====== ====== ==============================================================

:func:`parse_d1` returns the raw decoded values in FreeD's own conventions (:class:`FreeDPacket`);
:func:`to_sample` applies a vendor preset (:mod:`tracking.freed_presets`) and returns a
:class:`~tracking.sample.TrackerSample` in stage conventions. The socket loop only moves bytes.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from tracking.errors import TrackingParseError
from tracking.freed_presets import GENERIC, FreeDPreset
from tracking.sample import TrackerSample

logger = logging.getLogger(__name__)

D1_TYPE = 0xD1
D1_LENGTH = 29
ANGLE_UNITS_PER_DEG = 32768.0
POSITION_UNITS_PER_MM = 64.0
_S24_MIN, _S24_MAX = -(1 << 23), (1 << 23) - 1
_U24_MAX = (1 << 24) - 1


@dataclass(frozen=True, slots=True)
class FreeDPacket:
    """Raw decoded D1 values, in FreeD's own conventions (FreeD pan sign: positive = right).

    Attributes:
        camera_id: 0..255.
        pan_deg, tilt_deg, roll_deg: angles in degrees (multiples of 1/32768).
        x_mm, y_mm, z_mm: position in millimetres (multiples of 1/64).
        zoom, focus: raw unsigned 24-bit encoder counts.
        spare: the 16-bit spare ("user defined") field.
    """

    camera_id: int
    pan_deg: float
    tilt_deg: float
    roll_deg: float
    x_mm: float
    y_mm: float
    z_mm: float
    zoom: int
    focus: int
    spare: int


def d1_checksum(body: bytes) -> int:
    """FreeD checksum of the first 28 bytes: ``(0x40 - sum(body)) mod 256``."""
    return (0x40 - sum(body)) & 0xFF


def _s24(data: bytes, i: int) -> int:
    value = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2]
    return value - (1 << 24) if value & 0x800000 else value


def _u24(data: bytes, i: int) -> int:
    return (data[i] << 16) | (data[i + 1] << 8) | data[i + 2]


def parse_d1(data: bytes) -> FreeDPacket:
    """Decode one 29-byte FreeD D1 datagram.

    Raises:
        TrackingParseError: ``bad_length`` (not 29 bytes), ``bad_type`` (first byte not 0xD1),
            ``bad_checksum``.
    """
    if len(data) != D1_LENGTH:
        raise TrackingParseError("bad_length", f"FreeD D1 datagram is {len(data)} bytes, expected {D1_LENGTH}")
    if data[0] != D1_TYPE:
        raise TrackingParseError("bad_type", f"FreeD message type 0x{data[0]:02X} is not D1")
    expected = d1_checksum(data[:28])
    if data[28] != expected:
        raise TrackingParseError(
            "bad_checksum", f"FreeD D1 checksum 0x{data[28]:02X} does not match computed 0x{expected:02X}"
        )
    return FreeDPacket(
        camera_id=data[1],
        pan_deg=_s24(data, 2) / ANGLE_UNITS_PER_DEG,
        tilt_deg=_s24(data, 5) / ANGLE_UNITS_PER_DEG,
        roll_deg=_s24(data, 8) / ANGLE_UNITS_PER_DEG,
        x_mm=_s24(data, 11) / POSITION_UNITS_PER_MM,
        y_mm=_s24(data, 14) / POSITION_UNITS_PER_MM,
        z_mm=_s24(data, 17) / POSITION_UNITS_PER_MM,
        zoom=_u24(data, 20),
        focus=_u24(data, 23),
        spare=(data[26] << 8) | data[27],
    )


def _fixed_s24(value: float, scale: float, name: str) -> int:
    if not math.isfinite(value):
        raise TrackingParseError("non_finite", f"FreeD {name} is not finite: {value!r}")
    units = round(value * scale)
    if not _S24_MIN <= units <= _S24_MAX:
        raise TrackingParseError("bad_range", f"FreeD {name}={value} does not fit a signed 24-bit field")
    return units & 0xFFFFFF


def _check_uint(value: int, bits: int, name: str) -> int:
    if not 0 <= value < (1 << bits):
        raise TrackingParseError("bad_range", f"FreeD {name}={value} does not fit {bits} unsigned bits")
    return value


def encode_d1(
    camera_id: int,
    pan_deg: float,
    tilt_deg: float,
    roll_deg: float,
    x_mm: float,
    y_mm: float,
    z_mm: float,
    zoom: int,
    focus: int,
    spare: int = 0,
) -> bytes:
    """Encode one FreeD D1 datagram (for tests and simulators); inverse of :func:`parse_d1`.

    Angles in degrees (FreeD sign: positive pan = right), positions in millimetres; both are rounded
    to the nearest wire unit (1/32768 degree, 1/64 mm).

    Raises:
        TrackingParseError: ``bad_range`` when a value does not fit its field, ``non_finite``.
    """
    fields = [
        _fixed_s24(pan_deg, ANGLE_UNITS_PER_DEG, "pan"),
        _fixed_s24(tilt_deg, ANGLE_UNITS_PER_DEG, "tilt"),
        _fixed_s24(roll_deg, ANGLE_UNITS_PER_DEG, "roll"),
        _fixed_s24(x_mm, POSITION_UNITS_PER_MM, "x"),
        _fixed_s24(y_mm, POSITION_UNITS_PER_MM, "y"),
        _fixed_s24(z_mm, POSITION_UNITS_PER_MM, "z"),
        _check_uint(zoom, 24, "zoom"),
        _check_uint(focus, 24, "focus"),
    ]
    body = bytearray((D1_TYPE, _check_uint(camera_id, 8, "camera_id")))
    for value in fields:
        body += value.to_bytes(3, "big")
    body += _check_uint(spare, 16, "spare").to_bytes(2, "big")
    body.append(d1_checksum(body))
    return bytes(body)


def to_sample(packet: FreeDPacket, preset: FreeDPreset = GENERIC) -> TrackerSample:
    """Map a decoded D1 packet to a stage-convention :class:`TrackerSample` using a vendor preset.

    Position: FreeD millimetres → metres, then the preset's axis remap and sign flips.
    Rotation: stage pan = ``preset.pan_sign`` × FreeD pan (−1 for every known vendor: FreeD positive
    pan turns right, stage positive pan turns left); tilt and roll keep their sign.
    Lens: zoom/focus/spare are read as the preset says (normalised encoders and/or physical values).
    """
    freed_xyz = (packet.x_mm / 1000.0, packet.y_mm / 1000.0, packet.z_mm / 1000.0)
    ax, sg = preset.axis_map, preset.axis_sign
    position = (sg[0] * freed_xyz[ax[0]], sg[1] * freed_xyz[ax[1]], sg[2] * freed_xyz[ax[2]])
    rotation = (preset.pan_sign * packet.pan_deg, packet.tilt_deg, packet.roll_deg)
    lens = preset.read_lens(packet.zoom, packet.focus, packet.spare)
    return TrackerSample(
        source_camera_id=str(packet.camera_id),
        position_m=position,
        rotation_deg=rotation,
        zoom_encoder=lens.zoom_encoder,
        focus_encoder=lens.focus_encoder,
        iris_encoder=lens.iris_encoder,
        focal_length_mm=lens.focal_length_mm,
        focus_m=lens.focus_m,
        fstop=lens.fstop,
        sequence=lens.sequence,
    )
