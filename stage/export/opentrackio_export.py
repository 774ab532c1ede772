"""OpenTrackIO 1.0 export: one JSON sample object per pose sample (JSON lines).

The stage convention is OpenTrackIO's (metres, Z up, Y forward, intrinsic Z-X-Y pan/tilt/roll in degrees), so
translation and rotation pass through unchanged. Each sample carries ``protocol``, ``sampleId`` (a UUID derived
from camera, seq and sample time, so re-exports are identical), ``sourceId`` (derived from the tracking source
name), ``timing`` (``internal`` mode: ``sampleTimestamp`` from ``t_sample``, ``sequenceNumber`` from ``seq``,
``timecode`` when the sample has one), ``tracker.status``, ``lens`` and the camera's static sensor size and label.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from stage.export import ExportError
from stage.wire.pose import PoseMessage

PROTOCOL = {"name": "OpenTrackIO", "version": [1, 0, 1]}
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://opentrackio.org/vpstage")
"""Namespace of the derived sample and source UUIDs."""
_TIMECODE = re.compile(r"^(\d{2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")


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


def opentrackio_sample(sample: PoseMessage, timecode_rate: Fraction = Fraction(24)) -> dict[str, Any]:
    """One pose sample as an OpenTrackIO 1.0 sample object."""
    x, y, z = sample.position_m
    pan, tilt, roll = sample.rotation_deg
    timing: dict[str, Any] = {
        "mode": "internal",
        "sampleTimestamp": ptp_timestamp(sample.t_sample),
        "sequenceNumber": sample.seq % (1 << 32),
    }
    if sample.timecode is not None:
        timing["timecode"] = timecode_object(sample.timecode, timecode_rate)
    lens: dict[str, Any] = {"pinholeFocalLength": sample.focal_length_mm,
                            "entrancePupilOffset": sample.entrance_pupil_m}
    if sample.focus_m is not None:
        lens["focusDistance"] = sample.focus_m
    if sample.fstop is not None:
        lens["fStop"] = sample.fstop
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
                        "id": sample.camera}],
    }


def to_opentrackio(samples: Iterable[PoseMessage], timecode_rate: Fraction = Fraction(24)) -> str:
    """JSON lines, one OpenTrackIO sample per pose sample."""
    return "".join(json.dumps(opentrackio_sample(s, timecode_rate), allow_nan=False) + "\n" for s in samples)
