"""What one tracker datagram says about one camera, already in stage conventions.

Stage conventions (see CONVENTIONS.md): metres; right-handed, X right, Y forward, Z up; rotations in
degrees as ``(pan, tilt, roll)``, intrinsic Z-X-Y, right-hand rule (positive pan turns left seen from
above). Normalised lens encoders follow OpenTrackIO: focus 0 = infinity .. 1 = closest, iris 0 = open
.. 1 = closed, zoom 0 = wide .. 1 = telephoto.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tracking.errors import TrackingParseError

_OPTIONAL_FLOATS = (
    "zoom_encoder",
    "focus_encoder",
    "iris_encoder",
    "focal_length_mm",
    "focus_m",
    "entrance_pupil_m",
    "fstop",
    "t_sample",
    "sample_rate_hz",
)


@dataclass(frozen=True, slots=True)
class TrackerSample:
    """One camera pose + lens reading from one tracker datagram (stage conventions, SI units).

    Attributes:
        source_camera_id: FreeD camera id as a decimal string, or the OpenTrackIO ``sourceId``.
        position_m: camera position ``(x, y, z)`` in stage metres.
        rotation_deg: camera rotation ``(pan, tilt, roll)`` in degrees, stage sign convention.
        zoom_encoder, focus_encoder, iris_encoder: normalised encoders in [0, 1], or None.
        focal_length_mm: pinhole focal length in millimetres, or None.
        focus_m: focus distance in metres, or None.
        entrance_pupil_m: entrance-pupil offset in metres, or None.
        fstop: linear f-number, or None.
        t_sample: capture time in seconds since the Unix epoch (PTP), or None.
        timecode: SMPTE timecode ``"HH:MM:SS:FF"``, or None.
        sample_rate_hz: nominal sample rate in Hz, or None.
        sequence: sender's sample sequence number, or None.
        sensor_mm: active sensor ``(width, height)`` in millimetres (OpenTrackIO static), or None.
        serial: camera (or tracker) serial number (OpenTrackIO static), or None.

    Raises:
        TrackingParseError: reason ``"non_finite"`` if any number is NaN or infinite.
    """

    source_camera_id: str
    position_m: tuple[float, float, float]
    rotation_deg: tuple[float, float, float]
    zoom_encoder: float | None = None
    focus_encoder: float | None = None
    iris_encoder: float | None = None
    focal_length_mm: float | None = None
    focus_m: float | None = None
    entrance_pupil_m: float | None = None
    fstop: float | None = None
    t_sample: float | None = None
    timecode: str | None = None
    sample_rate_hz: float | None = None
    sequence: int | None = None
    sensor_mm: tuple[float, float] | None = None
    serial: str | None = None

    def __post_init__(self) -> None:
        # Fast path: one sum. NaN and ±inf propagate through addition, so a finite total means every
        # term is finite (an overflow past 1e308 is also rejected, which no real reading reaches).
        p, r = self.position_m, self.rotation_deg
        if len(p) != 3 or len(r) != 3:
            raise TrackingParseError("schema", f"tracker sample position/rotation must have 3 components: {p!r} {r!r}")
        total = p[0] + p[1] + p[2] + r[0] + r[1] + r[2]
        for value in (
            self.zoom_encoder, self.focus_encoder, self.iris_encoder, self.focal_length_mm, self.focus_m,
            self.entrance_pupil_m, self.fstop, self.t_sample, self.sample_rate_hz,
        ):
            if value is not None:
                total += value
        if self.sensor_mm is not None:
            total += self.sensor_mm[0] + self.sensor_mm[1]
        if not math.isfinite(total):
            raise TrackingParseError("non_finite", f"tracker sample has a non-finite value: {self._first_non_finite()}")

    def _first_non_finite(self) -> str:
        for name in ("position_m", "rotation_deg", "sensor_mm", *_OPTIONAL_FLOATS):
            value = getattr(self, name)
            values = value if isinstance(value, tuple) else (value,)
            if any(v is not None and not math.isfinite(v) for v in values):
                return f"{name}={value!r}"
        return "sum overflows"
