"""OpenTrackIO payload → dict → :class:`~tracking.sample.TrackerSample` (pure, validating).

Field names follow the OpenTrackIO 1.0.1 JSON schema (tests/data/reference/opentrackio/schema.json). Every message
that the schema accepts is accepted, unless a value lies outside a configured sanity limit
(:class:`~stage.core.config.sources.OpenTrackIOLimits`). Only the fields used here are validated; a problem raises
:class:`~tracking.errors.TrackingParseError` naming the JSON path, e.g. ``lens.pinholeFocalLength``, with reason

- ``schema``: the schema refuses the value (wrong type, ``null``, below a schema minimum, ...);
- ``non_finite``: NaN or infinity (CBOR can carry them, JSON cannot);
- ``limit``: schema-valid but outside :class:`OpenTrackIOLimits`, or an integer too large for a double.

A message without ``transforms`` (lens-only, static-only) updates the remembered lens and static state of its source
and yields no sample (:func:`sample_from_message` returns ``None``). Transforms: see :func:`compose_transforms`.
Error messages never print an unbounded value (a CBOR bignum has no size limit).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import cbor2
import numpy as np
import orjson

from stage.core.config.sources import OpenTrackIOLimits
from tracking.errors import TrackingParseError
from tracking.opentrackio._rotation import nearest_rotation, ptr_from_rotation, transform_matrix
from tracking.opentrackio.header import ENCODING_CBOR, ENCODING_JSON
from tracking.sample import TrackerSample

DEFAULT_LIMITS = OpenTrackIOLimits()
MAX_TRANSFORMS = 64
"""Longest transform chain composed (the schema sets none; each link costs a 4×4 product)."""
_DOUBLE_MAX = 1.7976931348623157e308
_MISSING = object()


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
    except Exception as exc:  # json/cbor2/UnicodeDecodeError/RecursionError: all mean "not a valid payload"
        kind = "JSON" if encoding == ENCODING_JSON else "CBOR"
        raise TrackingParseError("bad_json", f"OpenTrackIO payload is not valid {kind}: {_show(exc)}") from None
    if type(msg) is not dict:
        raise TrackingParseError("bad_json", f"OpenTrackIO payload is a {type(msg).__name__}, not an object")
    return msg


def _show(value: Any) -> str:
    """A short, always-printable description of ``value`` (huge ints are not turned into digits)."""
    if type(value) is int and value.bit_length() > 64:
        return f"<{value.bit_length()}-bit integer>"
    try:
        text = repr(value)
    except Exception:  # e.g. a malicious __repr__ of a decoded CBOR object
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True, slots=True)
class StaticInfo:
    """The per-source ``static`` facts we use: sensor ``(width, height)`` in mm and a serial number."""

    sensor_mm: tuple[float, float] | None = None
    serial: str | None = None


LensState = tuple[float | None, ...]
"""The last known lens values of a source, in :data:`_LENS_ORDER` order (None where never sent)."""
_LENS_ORDER = ("zoom", "focus", "iris", "pinholeFocalLength", "focusDistance", "entrancePupilOffset", "fStop")


class SourceCache:
    """Per-source state for messages that omit it: the last ``static`` block and the last value of each lens field.
    Bounded (LRU over sources)."""

    def __init__(self, max_sources: int = 64) -> None:
        self.max_sources = max_sources
        self._entries: OrderedDict[str, list] = OrderedDict()  # source -> [StaticInfo | None, LensState | None]

    def _entry(self, source: str) -> list:
        entry = self._entries.get(source)
        if entry is None:
            entry = self._entries[source] = [None, None]
            while len(self._entries) > self.max_sources:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(source)
        return entry

    def get(self, source: str) -> StaticInfo | None:
        """The remembered static info of ``source``, or None."""
        entry = self._entries.get(source)
        return entry[0] if entry is not None else None

    def put(self, source: str, info: StaticInfo) -> None:
        """Remember ``info`` for ``source``, evicting the least recently updated source when full."""
        self._entry(source)[0] = info

    def lens(self, source: str) -> LensState | None:
        """The remembered lens values of ``source``, or None."""
        entry = self._entries.get(source)
        return entry[1] if entry is not None else None

    def merge_lens(self, source: str, values: LensState) -> LensState:
        """Update the lens values of ``source`` with the ones given (None keeps the remembered one); return all."""
        entry = self._entry(source)
        old = entry[1]
        if old is None or None not in values:
            merged = values
        else:
            merged = tuple(o if v is None else v for v, o in zip(values, old, strict=True))
        entry[1] = merged
        return merged

    def __len__(self) -> int:
        return len(self._entries)


def _fail(path: str, problem: str) -> TrackingParseError:
    return TrackingParseError("schema", f"OpenTrackIO {path}: {problem}")


def _limit(path: str, problem: str) -> TrackingParseError:
    return TrackingParseError("limit", f"OpenTrackIO {path}: {problem}")


def _typed(parent: dict, key: str, path: str, kind: type, what: str) -> Any:
    """``parent[key]`` when it is exactly of type ``kind``; None when absent; else a schema reject naming ``what``."""
    value = parent.get(key, _MISSING)
    if value is _MISSING:
        return None
    if type(value) is kind:
        return value
    raise _fail(path + key, f"expected {what}, got {type(value).__name__}")


def _obj(parent: dict, key: str, path: str) -> dict | None:
    return _typed(parent, key, path, dict, "an object")


def _number(value: Any, where: str) -> float:
    """A schema ``number`` as a finite float: ``schema`` for a non-number (bool and null included), ``non_finite``
    for NaN/inf, ``limit`` for an integer beyond a double's range (a CBOR bignum)."""
    kind = type(value)
    if kind is float:
        if value - value == 0.0:  # false for NaN and ±inf
            return value
        raise TrackingParseError("non_finite", f"OpenTrackIO {where}: {value!r} is not finite")
    if kind is int:
        if -_DOUBLE_MAX <= value <= _DOUBLE_MAX:  # exact int/float comparison, no overflow
            return float(value)
        raise _limit(where, f"{_show(value)} does not fit a double")
    raise _fail(where, f"expected a number, got {kind.__name__}")


def _num(parent: dict, key: str, path: str, positive: bool = False, non_negative: bool = False,
         hi: float | None = None, limit: float | None = None, limit_abs: float | None = None) -> float | None:
    """Optional number at ``parent[key]``: ``positive`` / ``non_negative`` / ``hi`` are schema bounds (reason
    ``schema``), ``limit`` (upper) and ``limit_abs`` (on the magnitude) are sanity limits (reason ``limit``)."""
    value = parent.get(key, _MISSING)
    if value is _MISSING:
        return None
    where = path + key
    v = _number(value, where)
    if (positive and not v > 0.0) or (non_negative and v < 0.0) or (hi is not None and v > hi):
        bound = "> 0" if positive else ">= 0" if non_negative else f"<= {hi}"
        raise _fail(where, f"{v!r} is not {bound}")
    if limit is not None and v > limit:
        raise _limit(where, f"{v!r} is above the limit {limit}")
    if limit_abs is not None and abs(v) > limit_abs:
        raise _limit(where, f"{v!r} is beyond the limit ±{limit_abs}")
    return v


def _int(parent: dict, key: str, path: str, lo: int, hi: int, required: bool = False) -> int | None:
    value = parent.get(key, _MISSING)
    if value is _MISSING:
        if required:
            raise _fail(path + key, "missing")
        return None
    if type(value) is not int:
        raise _fail(path + key, f"expected an integer, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise _fail(path + key, f"{_show(value)} is outside [{lo}, {hi}]")
    return value


def _str(parent: dict, key: str, path: str) -> str | None:
    return _typed(parent, key, path, str, "a string")


_TIMECODE_FIELDS = (("hours", 23), ("minutes", 59), ("seconds", 59), ("frames", 119))


def _timecode(tc: dict) -> str:
    """``timing.timecode`` → ``"HH:MM:SS:FF"``."""
    parts = []
    for key, hi in _TIMECODE_FIELDS:
        value = tc.get(key)
        if type(value) is not int or not 0 <= value <= hi:
            value = _int(tc, key, "timing.timecode.", 0, hi, True)  # raises with the reason
        parts.append(value)
    hours, minutes, seconds, frames = parts
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}:{frames:02d}"


def _static_info(static: dict, limits: OpenTrackIOLimits) -> StaticInfo:
    camera = _obj(static, "camera", "static.") or {}
    dims = _obj(camera, "activeSensorPhysicalDimensions", "static.camera.")
    sensor = None
    if dims is not None:
        path = "static.camera.activeSensorPhysicalDimensions."
        width, height = (_num(dims, key, path, non_negative=True, limit=limits.max_sensor_mm) for key in ("width",
                                                                                                           "height"))
        if width is None or height is None:
            raise _fail(path + ("width" if width is None else "height"), "missing")
        if width == 0.0 or height == 0.0:
            raise _limit(path + ("width" if width == 0.0 else "height"), "0 mm: a sensor needs an area")
        sensor = (width, height)
    serial = _str(camera, "serialNumber", "static.camera.")
    if serial is None:
        serial = _str(_obj(static, "tracker", "static.") or {}, "serialNumber", "static.tracker.")
    return StaticInfo(sensor, serial)


def _lens_values(lens: dict, limits: OpenTrackIOLimits) -> LensState:
    """The lens fields of one message, in :data:`_LENS_ORDER` order."""
    enc = _obj(lens, "encoders", "lens.") or {}
    zoom, focus, iris = enc.get("zoom"), enc.get("focus"), enc.get("iris")
    focal, distance = lens.get("pinholeFocalLength"), lens.get("focusDistance")
    pupil, fstop = lens.get("entrancePupilOffset"), lens.get("fStop")
    if (  # fast path: every field present as an in-range float (NaN fails the comparisons)
        type(zoom) is float and type(focus) is float and type(iris) is float and type(focal) is float
        and type(distance) is float and type(pupil) is float and type(fstop) is float
        and 0.0 <= zoom <= 1.0 and 0.0 <= focus <= 1.0 and 0.0 <= iris <= 1.0
        and 0.0 < focal <= limits.max_focal_length_mm and 0.0 < distance < _DOUBLE_MAX
        and -limits.max_entrance_pupil_m <= pupil <= limits.max_entrance_pupil_m and 0.0 < fstop <= limits.max_fstop
    ):
        return zoom, focus, iris, focal, distance, pupil, fstop
    p, pe = "lens.", "lens.encoders."
    return (
        _num(enc, "zoom", pe, non_negative=True, hi=1.0),
        _num(enc, "focus", pe, non_negative=True, hi=1.0),
        _num(enc, "iris", pe, non_negative=True, hi=1.0),
        _num(lens, "pinholeFocalLength", p, positive=True, limit=limits.max_focal_length_mm),
        _num(lens, "focusDistance", p, positive=True),
        _num(lens, "entrancePupilOffset", p, limit_abs=limits.max_entrance_pupil_m),
        _num(lens, "fStop", p, positive=True, limit=limits.max_fstop),
    )


def wrap_angle_deg(value: float | int) -> float:
    """An angle in (−180, 180]: whole cycles removed (exactly for integers of any size)."""
    a = float(value % 360) if type(value) is int else value % 360.0
    return a - 360.0 if a > 180.0 else a


def _angle(obj: dict, key: str, path: str) -> float:
    """A rotation component: missing is 0 (the schema requires none), any finite number is wrapped."""
    value = obj.get(key, _MISSING)
    if type(value) is float and -180.0 < value <= 180.0:
        return value
    if value is _MISSING:
        return 0.0
    if type(value) is int:
        return wrap_angle_deg(value)
    return wrap_angle_deg(_number(value, path + key))


def _coord(obj: dict, key: str, path: str, limit: float) -> float:
    """A translation component: missing is 0, |value| within ``limit`` metres."""
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        return 0.0
    if (type(value) is float or type(value) is int) and -limit <= value <= limit:
        return float(value)
    v = _number(value, path + key)  # raises for non-numbers, NaN, inf and bignums
    raise _limit(path + key, f"{v!r} m is beyond the limit ±{limit} m")


def _scale(obj: dict, key: str, path: str) -> float:
    """A scale component: missing is 1; must be > 0 (a zero or negative scale leaves no camera orientation)."""
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        return 1.0
    v = _number(value, path + key)
    if not v > 0.0:
        raise _limit(path + key, f"{v!r}: only positive scales are composed")
    return v


Transform = tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float] | None]


def _transform(item: Any, i: int, limits: OpenTrackIOLimits) -> Transform:
    path = f"transforms[{i}]."
    if type(item) is not dict:
        raise _fail(path[:-1], "expected an object")
    t = _obj(item, "translation", path)
    r = _obj(item, "rotation", path)
    if t is None or r is None:
        raise _fail(path + ("translation" if t is None else "rotation"), "missing")
    tp, rp = path + "translation.", path + "rotation."
    limit = limits.max_position_m
    translation = (_coord(t, "x", tp, limit), _coord(t, "y", tp, limit), _coord(t, "z", tp, limit))
    rotation = (_angle(r, "pan", rp), _angle(r, "tilt", rp), _angle(r, "roll", rp))
    s = _obj(item, "scale", path)
    scale = None
    if s is not None:
        sp = path + "scale."
        scale = (_scale(s, "x", sp), _scale(s, "y", sp), _scale(s, "z", sp))
    return translation, rotation, scale


def compose_transforms(
    transforms: Any, limits: OpenTrackIOLimits = DEFAULT_LIMITS
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Camera ``(position_m, rotation_deg)`` from the ``transforms`` list.

    The schema: "Transforms are composed in sequential order, starting with the first transform in the list and
    concluding with the last transform in the list. The compound transform contains the position (in meters) and
    orientation (in degrees) of the camera sensor relative to stage origin." So the chain is ``M = M0 @ M1 @ …``
    (each transform is expressed in the frame of the one before it), and each link is
    ``M_i = T(translation) @ R(pan, tilt, roll) @ S(scale)``: a link's scale stretches the frames that follow it
    (the next translations) and never the link's own translation. The camera position is ``M``'s translation and
    its orientation the rotation nearest to ``M``'s 3×3 block (polar factor: exactly the product of the rotations
    when scales are uniform); the last link's own scale therefore changes nothing. Missing components: translation
    and rotation 0, scale 1. One transform without scale is returned as given (angles wrapped to (−180, 180]).
    """
    if type(transforms) is not list or not transforms:
        raise _fail("transforms", "expected a non-empty list")
    if len(transforms) > MAX_TRANSFORMS:
        raise _limit("transforms", f"{len(transforms)} transforms, more than {MAX_TRANSFORMS}")
    if len(transforms) == 1:
        translation, rotation, scale = _transform(transforms[0], 0, limits)
        if scale is None or scale == (1.0, 1.0, 1.0):
            return translation, rotation
    m = np.eye(4)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflowing chain is refused just below
        for i, item in enumerate(transforms):
            translation, rotation, scale = _transform(item, i, limits)
            m = m @ transform_matrix(translation, rotation, scale if scale is not None else (1.0, 1.0, 1.0))
    position = (float(m[0, 3]), float(m[1, 3]), float(m[2, 3]))
    if not (np.isfinite(m).all() and math.hypot(*position) <= limits.max_position_m):
        raise _limit("transforms", f"composed position {position} is beyond {limits.max_position_m} m of the origin")
    try:
        rotation = ptr_from_rotation(nearest_rotation(m[:3, :3]))
    except np.linalg.LinAlgError:
        raise _limit("transforms", "composed rotation cannot be decomposed") from None
    return position, (wrap_angle_deg(rotation[0]), wrap_angle_deg(rotation[1]), wrap_angle_deg(rotation[2]))


def _source_of(msg: dict, info: StaticInfo | None, default_source: str) -> str:
    """``sourceId``, else the static serial number, else ``sourceNumber:N``, else ``default_source``."""
    source = _str(msg, "sourceId", "")
    number = _int(msg, "sourceNumber", "", 0, 0xFFFFFFFF)
    if source is not None:
        return source
    if info is not None and info.serial:
        return info.serial
    return f"sourceNumber:{number}" if number is not None else default_source


def sample_from_message(
    msg: dict[str, Any], cache: SourceCache | None = None, limits: OpenTrackIOLimits = DEFAULT_LIMITS,
    default_source: str = "unknown",
) -> TrackerSample | None:
    """Extract a :class:`TrackerSample` from one decoded OpenTrackIO message, or ``None`` for a message without
    ``transforms`` (it only updates ``cache``).

    With a ``cache``, the message's ``static`` block and lens fields are remembered under its source
    (:func:`_source_of`; ``default_source`` names a sender that says nothing about itself, e.g. its address), and a
    message that omits them gets the remembered ones.

    Raises:
        TrackingParseError: ``schema`` / ``non_finite`` / ``limit`` naming the JSON path of the bad field.
    """
    if type(msg) is not dict:
        raise _fail("$", "message is not an object")
    static = _obj(msg, "static", "")
    info = _static_info(static, limits) if static is not None else None
    source = _source_of(msg, info, default_source)
    lens = _obj(msg, "lens", "")
    values = _lens_values(lens, limits) if lens is not None else (None,) * len(_LENS_ORDER)
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
    transforms = msg.get("transforms", _MISSING)
    pose = compose_transforms(transforms, limits) if transforms is not _MISSING else None
    if cache is not None:  # only a message valid throughout updates the remembered state
        if info is not None:
            cache.put(source, info)
        else:
            info = cache.get(source)
        if lens is not None or cache.lens(source) is not None:
            values = cache.merge_lens(source, values)
    if pose is None:
        return None
    zoom, focus, iris, focal, focus_m, pupil, fstop = values
    sensor, serial = (info.sensor_mm, info.serial) if info is not None else (None, None)
    # positional, in field order (cheaper than 16 keywords on this hot path)
    return TrackerSample(
        source, pose[0], pose[1], zoom, focus, iris, focal, focus_m, pupil, fstop,
        t_sample, timecode, rate, sequence, sensor, serial,
    )
