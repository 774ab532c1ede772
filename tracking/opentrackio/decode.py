"""OpenTrackIO payload → dict → :class:`~tracking.sample.TrackerSample` (pure, validating).

Field names follow the OpenTrackIO 1.0.1 JSON schema (tests/data/reference/opentrackio/schema.json). Only the
fields used here are validated (type, finiteness, sane range); a problem raises
:class:`~tracking.errors.TrackingParseError` with reason ``"schema"`` (or ``"non_finite"``) and the
JSON path in the message, e.g. ``lens.pinholeFocalLength``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import cbor2
import numpy as np
import orjson

from tracking.errors import TrackingParseError
from tracking.opentrackio._rotation import nearest_rotation, ptr_from_rotation, transform_matrix
from tracking.opentrackio.header import ENCODING_CBOR, ENCODING_JSON
from tracking.sample import TrackerSample

MAX_POSITION_M = 1000.0
MAX_ANGLE_DEG = 3600.0
MAX_FOCAL_LENGTH_MM = 5000.0
_INF = math.inf
_isfinite = math.isfinite


def decode_payload(encoding: int, payload: bytes) -> dict[str, Any]:
    """Decode a message payload (0x01 JSON / 0x02 CBOR) to a dict.

    Raises:
        TrackingParseError: ``bad_type`` for an unknown encoding, ``bad_json`` when the payload does not
            decode or is not an object.
    """
    try:
        if encoding == ENCODING_JSON:
            msg = orjson.loads(payload)
        elif encoding == ENCODING_CBOR:
            msg = cbor2.loads(payload)
        else:
            raise TrackingParseError("bad_type", f"OpenTrackIO encoding 0x{encoding:02X} is neither JSON nor CBOR")
    except TrackingParseError:
        raise
    except Exception as exc:  # json/cbor2/UnicodeDecodeError: all mean "not a valid payload"
        kind = "JSON" if encoding == ENCODING_JSON else "CBOR"
        raise TrackingParseError("bad_json", f"OpenTrackIO payload is not valid {kind}: {exc}") from None
    if type(msg) is not dict:
        raise TrackingParseError("bad_json", f"OpenTrackIO payload is a {type(msg).__name__}, not an object")
    return msg


@dataclass(frozen=True, slots=True)
class StaticInfo:
    """The per-source ``static`` facts we use: sensor ``(width, height)`` in mm and a serial number."""

    sensor_mm: tuple[float, float] | None = None
    serial: str | None = None


class StaticCache:
    """Remembers the last ``static`` block per source, for messages that omit it (bounded, LRU)."""

    def __init__(self, max_sources: int = 64) -> None:
        self.max_sources = max_sources
        self._infos: OrderedDict[str, StaticInfo] = OrderedDict()

    def get(self, source: str) -> StaticInfo | None:
        """The remembered static info of ``source``, or None."""
        return self._infos.get(source)

    def put(self, source: str, info: StaticInfo) -> None:
        """Remember ``info`` for ``source``, evicting the least recently updated source when full."""
        self._infos[source] = info
        self._infos.move_to_end(source)
        while len(self._infos) > self.max_sources:
            self._infos.popitem(last=False)

    def __len__(self) -> int:
        return len(self._infos)


def _fail(path: str, problem: str) -> TrackingParseError:
    return TrackingParseError("schema", f"OpenTrackIO {path}: {problem}")


def _obj(parent: dict, key: str, path: str) -> dict | None:
    value = parent.get(key)
    if value is None or type(value) is dict:
        return value
    raise _fail(path + key, f"expected an object, got {type(value).__name__}")


def _num(parent: dict, key: str, path: str, lo: float = -_INF, hi: float = _INF, lo_open: bool = False) -> float | None:
    """Optional number at ``parent[key]`` within [lo, hi] (or (lo, hi] with ``lo_open``)."""
    value = parent.get(key)
    if value is None:
        return None
    kind = type(value)
    if kind is not float and kind is not int:
        raise _fail(path + key, f"expected a number, got {kind.__name__}")
    if not _isfinite(value):
        raise TrackingParseError("non_finite", f"OpenTrackIO {path}{key}: {value!r} is not finite")
    if value > hi or value < lo or (lo_open and value == lo):
        raise _fail(path + key, f"{value!r} is outside {'(' if lo_open else '['}{lo}, {hi}]")
    return float(value)


def _req_num(parent: dict, key: str, path: str, lo: float = -_INF, hi: float = _INF, lo_open: bool = False) -> float:
    value = _num(parent, key, path, lo, hi, lo_open)
    if value is None:
        raise _fail(path + key, "missing")
    return value


def _int(parent: dict, key: str, path: str, lo: int, hi: int, required: bool = False) -> int | None:
    value = parent.get(key)
    if value is None:
        if required:
            raise _fail(path + key, "missing")
        return None
    if type(value) is not int:
        raise _fail(path + key, f"expected an integer, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise _fail(path + key, f"{value} is outside [{lo}, {hi}]")
    return value


def _str(parent: dict, key: str, path: str) -> str | None:
    value = parent.get(key)
    if value is None or type(value) is str:
        return value
    raise _fail(path + key, f"expected a string, got {type(value).__name__}")


# (key, lo, hi, lo_open): the lens values read, with their accepted ranges
_LENS_FIELDS = (
    ("pinholeFocalLength", 0.0, MAX_FOCAL_LENGTH_MM, True),
    ("focusDistance", 0.0, 1e6, True),
    ("entrancePupilOffset", -10.0, 10.0, False),
    ("fStop", 0.0, 1000.0, True),
)
_ENCODER_FIELDS = (("zoom", 0.0, 1.0, False), ("focus", 0.0, 1.0, False), ("iris", 0.0, 1.0, False))


def _floats(obj: dict, fields: tuple[tuple[str, float, float, bool], ...], path: str) -> list[float | None]:
    """Optional numbers per ``fields``; plain in-range floats take a fast path, the rest :func:`_num`."""
    out: list[float | None] = []
    for key, lo, hi, lo_open in fields:
        value = obj.get(key)
        if value is None or (type(value) is float and (lo < value if lo_open else lo <= value) and value <= hi):
            out.append(value)
        else:
            out.append(_num(obj, key, path, lo, hi, lo_open))
    return out


_TIMECODE_FIELDS = (("hours", 23), ("minutes", 59), ("seconds", 59), ("frames", 119))


def _timecode(tc: dict) -> str:
    """``timing.timecode`` → ``"HH:MM:SS:FF"``."""
    parts = []
    for key, hi in _TIMECODE_FIELDS:
        value = tc.get(key)
        if type(value) is not int or not 0 <= value <= hi:
            raise _fail("timing.timecode." + key, f"expected an integer in [0, {hi}], got {value!r}")
        parts.append(value)
    hours, minutes, seconds, frames = parts
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}:{frames:02d}"


def _static_info(static: dict) -> StaticInfo:
    camera = _obj(static, "camera", "static.") or {}
    dims = _obj(camera, "activeSensorPhysicalDimensions", "static.camera.")
    sensor = None
    if dims is not None:
        path = "static.camera.activeSensorPhysicalDimensions."
        sensor = (_req_num(dims, "width", path, 0.0, 1000.0, True), _req_num(dims, "height", path, 0.0, 1000.0, True))
    serial = _str(camera, "serialNumber", "static.camera.")
    if serial is None:
        serial = _str(_obj(static, "tracker", "static.") or {}, "serialNumber", "static.tracker.")
    return StaticInfo(sensor, serial)


def _vec3(obj: dict, keys: tuple[str, str, str], path: str, limit: float) -> tuple[float, float, float]:
    """Three required numbers in [−limit, limit]; fast path for three floats (NaN fails the comparisons)."""
    a, b, c = obj.get(keys[0]), obj.get(keys[1]), obj.get(keys[2])
    if (
        type(a) is float and type(b) is float and type(c) is float
        and -limit <= a <= limit and -limit <= b <= limit and -limit <= c <= limit
    ):
        return a, b, c
    return tuple(_req_num(obj, key, path, -limit, limit) for key in keys)  # type: ignore[return-value]


def _transform(item: Any, i: int) -> tuple[tuple[float, float, float], tuple[float, float, float], tuple | None]:
    path = f"transforms[{i}]."
    if type(item) is not dict:
        raise _fail(path[:-1], "expected an object")
    t = _obj(item, "translation", path)
    r = _obj(item, "rotation", path)
    if t is None or r is None:
        raise _fail(path + ("translation" if t is None else "rotation"), "missing")
    translation = _vec3(t, ("x", "y", "z"), path + "translation.", MAX_POSITION_M)
    rotation = _vec3(r, ("pan", "tilt", "roll"), path + "rotation.", MAX_ANGLE_DEG)
    s = _obj(item, "scale", path)
    scale = None
    if s is not None:
        sp = path + "scale."
        scale = (_req_num(s, "x", sp, 0.0, 1e6, True), _req_num(s, "y", sp, 0.0, 1e6, True),
                 _req_num(s, "z", sp, 0.0, 1e6, True))
    return translation, rotation, scale


def compose_transforms(transforms: Any) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Camera ``(position_m, rotation_deg)`` from the ``transforms`` list, composed T0 @ T1 @ ….

    Each transform is ``T(translation) @ R(pan, tilt, roll) @ S(scale)``. One transform without scale
    is returned as given (no matrices built); otherwise the rotation is the orthonormal polar factor of
    the composed 3×3 block (exactly the product of rotations when scales are uniform).
    """
    if type(transforms) is not list or not transforms:
        raise _fail("transforms", "expected a non-empty list")
    if len(transforms) == 1:
        translation, rotation, scale = _transform(transforms[0], 0)
        if scale is None or scale == (1.0, 1.0, 1.0):
            return translation, rotation
    m = np.eye(4)
    for i, item in enumerate(transforms):
        translation, rotation, scale = _transform(item, i)
        m = m @ transform_matrix(translation, rotation, scale if scale is not None else (1.0, 1.0, 1.0))
    position = (float(m[0, 3]), float(m[1, 3]), float(m[2, 3]))
    if not math.hypot(*position) < MAX_POSITION_M:
        raise _fail("transforms", f"composed position {position} is 1 km or more from the origin")
    return position, ptr_from_rotation(nearest_rotation(m[:3, :3]))


def sample_from_message(msg: dict[str, Any], static_cache: StaticCache | None = None) -> TrackerSample:
    """Extract a :class:`TrackerSample` from one decoded OpenTrackIO message.

    The ``static`` block, when present, is stored in ``static_cache`` under the message's ``sourceId``;
    when absent, the cached one for that source (if any) supplies ``sensor_mm`` and ``serial``.

    Raises:
        TrackingParseError: ``schema`` / ``non_finite`` naming the JSON path of the bad field.
    """
    if type(msg) is not dict:
        raise _fail("$", "message is not an object")
    source = _str(msg, "sourceId", "")
    static = _obj(msg, "static", "")
    info = _static_info(static) if static is not None else None
    if source is None:
        number = _int(msg, "sourceNumber", "", 0, 0xFFFFFFFF)
        source = info.serial if info is not None and info.serial else None
        if source is None:
            if number is None:
                raise _fail("sourceId", "missing (and no sourceNumber or static serial to stand in)")
            source = f"sourceNumber:{number}"
    if static_cache is not None:
        if info is not None:
            static_cache.put(source, info)
        else:
            info = static_cache.get(source)
    position, rotation = compose_transforms(msg.get("transforms"))

    lens = _obj(msg, "lens", "") or {}
    focal, focus_m, pupil, fstop = _floats(lens, _LENS_FIELDS, "lens.")
    zoom, focus, iris = _floats(_obj(lens, "encoders", "lens.") or {}, _ENCODER_FIELDS, "lens.encoders.")
    timing = _obj(msg, "timing", "") or {}
    t_sample = timecode = rate = None
    ts = _obj(timing, "sampleTimestamp", "timing.")
    if ts is not None:
        p = "timing.sampleTimestamp."
        seconds = _int(ts, "seconds", p, 0, (1 << 48) - 1, True)
        t_sample = seconds + _int(ts, "nanoseconds", p, 0, 0xFFFFFFFF, True) * 1e-9
    tc = _obj(timing, "timecode", "timing.")
    if tc is not None:
        timecode = _timecode(tc)
    sr = _obj(timing, "sampleRate", "timing.")
    if sr is not None:
        p = "timing.sampleRate."
        rate = _int(sr, "num", p, 1, 0x7FFFFFFF, True) / _int(sr, "denom", p, 1, 0xFFFFFFFF, True)
    sequence = _int(timing, "sequenceNumber", "timing.", 0, 0xFFFFFFFF)
    sensor, serial = (info.sensor_mm, info.serial) if info is not None else (None, None)
    # positional, in field order (cheaper than 16 keywords on this hot path)
    return TrackerSample(
        source, position, rotation, zoom, focus, iris, focal, focus_m, pupil, fstop,
        t_sample, timecode, rate, sequence, sensor, serial,
    )
