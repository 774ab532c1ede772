"""Frame rates as exact rationals: ``24``, ``25``, ``24000/1001`` (23.976), ``60000/1001`` (59.94) ...

A frame rate is a :class:`fractions.Fraction` so a frame clock never drifts: frame ``N`` starts exactly at
``N · den / num`` seconds. Written in a config or on a wire it is a string ``"num/den"`` (or an integer); decimals
are accepted and the NTSC family (23.976 or 23.98, 29.97, 47.952, 59.94, 119.88, ...) is normalised to its exact
``n·1000/1001`` value, as SMPTE ST 12 defines those rates.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

MIN_FPS = Fraction(1)
MAX_FPS = Fraction(1000)
NTSC_TOLERANCE = 0.006
"""A non-integer decimal this close to ``n·1000/1001`` (integer ``n``) is that NTSC rate: covers 23.976 and the
common rounding 23.98, 29.97, 59.94, 119.88."""

_RATIO = re.compile(r"^\s*(\d{1,9})\s*/\s*(\d{1,9})\s*$")
_DECIMAL = re.compile(r"^\s*\d{1,6}(\.\d{1,9})?\s*$")


def parse_frame_rate(value: Any) -> Fraction:
    """``value`` (int, float, ``"num/den"``, decimal string or :class:`Fraction`) as an exact rate in frames per
    second; raises ``ValueError`` with the reason."""
    if isinstance(value, Fraction):
        rate = value
    elif isinstance(value, bool):
        raise ValueError("must be a frame rate such as 24, 25, 23.976 or \"24000/1001\"")
    elif isinstance(value, int):
        rate = Fraction(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite frame rate")
        rate = _from_decimal(Fraction(repr(value)))
    elif isinstance(value, str) and (m := _RATIO.match(value)):
        num, den = int(m.group(1)), int(m.group(2))
        if den == 0:
            raise ValueError(f"{value!r}: denominator is zero")
        rate = Fraction(num, den)
    elif isinstance(value, str) and _DECIMAL.match(value):
        rate = _from_decimal(Fraction(value.strip()))
    else:
        raise ValueError(f"not a frame rate: {value!r} (expected e.g. 24, 25, 23.976 or \"24000/1001\")")
    if not MIN_FPS <= rate <= MAX_FPS:
        raise ValueError(f"frame rate {format_frame_rate(rate)} out of range ({MIN_FPS}..{MAX_FPS} fps)")
    return rate


def _from_decimal(rate: Fraction) -> Fraction:
    if rate.denominator == 1:
        return rate
    n = round(rate * Fraction(1001, 1000))
    ntsc = Fraction(n * 1000, 1001)
    if n > 0 and abs(float(rate - ntsc)) <= NTSC_TOLERANCE:
        return ntsc
    return rate


def format_frame_rate(rate: Fraction) -> str:
    """``"24"`` or ``"24000/1001"``: the exact form, as configs and wires carry it."""
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"


def describe_frame_rate(rate: Fraction) -> str:
    """For people: ``"24000/1001 (23.976) fps"`` or ``"25 fps"``."""
    exact = format_frame_rate(rate)
    if rate.denominator == 1:
        return f"{exact} fps"
    return f"{exact} ({float(rate):.3f}) fps"


def frame_period_ns(rate: Fraction) -> Fraction:
    """Exact period in nanoseconds (a :class:`Fraction`; ``1e9·den/num``)."""
    return Fraction(1_000_000_000) / rate


def frame_at(t_ns: int, rate: Fraction) -> int:
    """Number of the frame whose period contains ``t_ns`` (nanoseconds on the same clock as the frame origin):
    ``floor(t · rate)``, in exact integer arithmetic."""
    return (t_ns * rate.numerator) // (1_000_000_000 * rate.denominator)


def frame_start_ns(frame: int, rate: Fraction) -> int:
    """Start of frame ``frame`` in nanoseconds, rounded up to the next whole nanosecond (so ``frame_at`` of it is
    ``frame``)."""
    return -((-frame * 1_000_000_000 * rate.denominator) // rate.numerator)


FrameRate = Annotated[
    Fraction,
    BeforeValidator(parse_frame_rate),
    PlainSerializer(format_frame_rate, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(/\d+)?$"}),
]
"""A frame rate in frames per second, exact: ``24``, ``25``, ``"24000/1001"``; decimals like ``23.976`` or
``59.94`` are accepted and normalised (see :mod:`stage.core.config.frame_rate`)."""
