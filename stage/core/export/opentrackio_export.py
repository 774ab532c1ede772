"""OpenTrackIO 1.0 export: one JSON sample object per pose sample (JSON lines).

The stage convention is OpenTrackIO's (metres, Z up, Y forward, intrinsic Z-X-Y pan/tilt/roll in degrees), so
translation and rotation pass through unchanged. Each sample carries ``protocol``, ``sampleId`` (a UUID derived
from camera, seq and sample time, so re-exports are identical), ``sourceId`` (derived from the tracking source
name), ``timing`` (``internal`` mode: ``sampleTimestamp`` from ``t_sample``, ``sequenceNumber`` from ``seq``,
``sampleRate`` = the take's rate, ``timecode`` when the sample has one), ``tracker.status``, ``lens`` (with
``encoders`` when the sample has encoder values) and the camera's static sensor size and label.

Written for SMPTE's reference parser (camdkit ``src/test/python/parser/opentrackio_lib.py``): it takes the camera
pose from the first transform whose ``id`` contains ``"Camera"`` (so the one transform is ``id: "Camera"`` as in the
official examples, and the stage camera id is ``static.camera.label``), and it needs ``timing.sampleRate`` to turn a
sample time into timecode frames.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

from stage.core.export import ExportError
from stage.core.wire.pose import PoseMessage

PROTOCOL = {"name": "OpenTrackIO", "version": [1, 0, 1]}
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://opentrackio.org/vpstage")
"""Namespace of the derived sample and source UUIDs."""
_TIMECODE = re.compile(r"^(\d{2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")
CAMERA_TRANSFORM_ID = "Camera"
"""The camera transform's ``id``, as in the official examples (readers look for an id containing "Camera")."""
DEFAULT_RATE = Fraction(24)
"""Sample and timecode rate of a take whose rate cannot be measured (fewer than two samples)."""
STANDARD_RATES = tuple(Fraction(r) for r in ("24000/1001", "24", "25", "30000/1001", "30", "48", "50", "60000/1001",
                                             "60", "72", "96", "100", "120000/1001", "120", "144", "240"))
"""Rates a measured take rate snaps to when within :data:`SNAP_TOLERANCE`."""
SNAP_TOLERANCE = 0.005


def parse_rate(text: str) -> Fraction:
    """A frame rate ``"24"``, ``"29.97"`` or ``"30000/1001"`` as a fraction; raises :class:`ExportError`."""
    try:
        rate = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ExportError(f"frame rate {text!r}: expected a number like 24, 25 or 30000/1001") from None
    if rate <= 0:
        raise ExportError(f"frame rate {text!r}: must be positive")
    if rate.denominator not in (1, 1001):  # 23.976, 29.97, 59.94 ... mean the exact NTSC n·1000/1001
        ntsc = Fraction(round(rate * 1001 / 1000) * 1000, 1001)
        if abs(ntsc - rate) < Fraction(1, 100):
            return ntsc
    return rate


def take_rate(samples: Sequence[PoseMessage]) -> Fraction | None:
    """The take's sample rate: the median spacing of consecutive live samples' ``t_sample``, snapped to the nearest
    standard rate when within 0.5 % (else to 1/1000 Hz); None with fewer than two increasing sample times."""
    times = [s.t_sample for s in samples if not s.stale]
    deltas = sorted(b - a for a, b in zip(times, times[1:], strict=False) if b > a)
    if not deltas:
        return None
    hz = 1.0 / deltas[len(deltas) // 2]
    nearest = min(STANDARD_RATES, key=lambda rate: abs(hz - float(rate)))
    if abs(hz - float(nearest)) <= SNAP_TOLERANCE * float(nearest):
        return nearest
    return Fraction(max(1, round(hz * 1000)), 1000)


def ptp_timestamp(t: float) -> dict[str, int]:
    """Epoch seconds as OpenTrackIO's ``{seconds, nanoseconds}`` (rounded to the nanosecond)."""
    if t < 0:
        return {"seconds": 0, "nanoseconds": 0}
    seconds = math.floor(t)
    nanoseconds = round((t - seconds) * 1_000_000_000)  # t - floor(t) is exact in binary floating point
    if nanoseconds == 1_000_000_000:
        seconds, nanoseconds = seconds + 1, 0
    return {"seconds": seconds, "nanoseconds": nanoseconds}


def timecode_object(text: str, rate: Fraction) -> dict[str, Any]:
    """``"HH:MM:SS:FF"`` (``;`` before the frames for drop frame) as an OpenTrackIO timecode object."""
    m = _TIMECODE.match(text)
    if not m:
        raise ExportError(f"timecode {text!r}: expected HH:MM:SS:FF")
    hours, minutes, seconds, separator, frames = m.groups()
    h, mi, s, f = int(hours), int(minutes), int(seconds), int(frames)
    if h > 23 or mi > 59 or s > 59 or f >= math.ceil(rate):
        raise ExportError(f"timecode {text!r} is not valid at {rate} fps (set the timecode rate with --fps)")
    return {"hours": h, "minutes": mi, "seconds": s, "frames": f,
            "frameRate": {"num": rate.numerator, "denom": rate.denominator}, "dropFrame": separator in ";,"}


def opentrackio_sample(sample: PoseMessage, sample_rate: Fraction = DEFAULT_RATE,
                       timecode_rate: Fraction | None = None) -> dict[str, Any]:
    """One pose sample as an OpenTrackIO 1.0 sample object; timecode at ``timecode_rate`` (default ``sample_rate``)."""
    x, y, z = sample.position_m
    pan, tilt, roll = sample.rotation_deg
    timing: dict[str, Any] = {
        "mode": "internal",
        "sampleTimestamp": ptp_timestamp(sample.t_sample),
        "sampleRate": {"num": sample_rate.numerator, "denom": sample_rate.denominator},
        "sequenceNumber": sample.seq % (1 << 32),
    }
    if sample.timecode is not None:
        timing["timecode"] = timecode_object(sample.timecode, timecode_rate or sample_rate)
    lens: dict[str, Any] = {"pinholeFocalLength": sample.focal_length_mm,
                            "entrancePupilOffset": sample.entrance_pupil_m}
    if sample.focus_m is not None:
        lens["focusDistance"] = sample.focus_m
    if sample.fstop is not None:
        lens["fStop"] = sample.fstop
    encoders = {key: value for key, value in (("focus", sample.focus_encoder), ("iris", sample.iris_encoder),
                                              ("zoom", sample.zoom_encoder))
                if value is not None and 0.0 <= value <= 1.0}  # the schema's range; others are left out
    if encoders:
        lens["encoders"] = encoders
    width, height = sample.sensor_mm
    key = f"{sample.camera}/{sample.seq}/{sample.t_sample!r}"
    return {
        "protocol": dict(PROTOCOL, version=list(PROTOCOL["version"])),
        "sampleId": uuid.uuid5(NAMESPACE, "sample/" + key).urn,
        "sourceId": uuid.uuid5(NAMESPACE, "source/" + sample.source).urn,
        "timing": timing,
        "tracker": {"status": "stale" if sample.stale else "ok"},
        "static": {"camera": {"label": sample.camera,
                              "activeSensorPhysicalDimensions": {"width": width, "height": height}}},
        "lens": lens,
        "transforms": [{"translation": {"x": x, "y": y, "z": z},
                        "rotation": {"pan": pan, "tilt": tilt, "roll": roll},
                        "id": CAMERA_TRANSFORM_ID}],
    }


def to_opentrackio(samples: Iterable[PoseMessage], timecode_rate: Fraction | None = None) -> str:
    """JSON lines, one OpenTrackIO sample per pose sample: ``timing.sampleRate`` is :func:`take_rate` (24 when it
    cannot be measured), timecode at ``timecode_rate`` when given, else at the take's rate."""
    samples = list(samples)
    rate = take_rate(samples) or timecode_rate or DEFAULT_RATE
    return "".join(json.dumps(opentrackio_sample(s, rate, timecode_rate), allow_nan=False) + "\n" for s in samples)
