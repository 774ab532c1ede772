"""RGB ↔ CIE XYZ matrices derived from primaries and white point (SMPTE RP 177-1993), and gamut conversions.

``rgb_to_xyz(P, W)``: with the primaries' XYZ (``Y = 1``) as the columns of ``P`` and the white's XYZ ``W``
(``Y = 1``), the scale ``S = P⁻¹·W`` makes RGB (1, 1, 1) land on the white: ``NPM = P·diag(S)``. A conversion
between two gamuts with the same white is ``rgb_to_xyz(dst)⁻¹ · rgb_to_xyz(src)``; all three gamuts here are D65,
so no chromatic adaptation is involved and white maps to white. Matrices act on column vectors of linear RGB.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

D65_XY = (0.3127, 0.3290)
"""CIE 1931 xy of the D65 white point as the colour-space standards round it."""


@dataclass(frozen=True)
class Gamut:
    """A set of RGB primaries and a white point, CIE 1931 xy."""

    name: str
    red: tuple[float, float]
    green: tuple[float, float]
    blue: tuple[float, float]
    white: tuple[float, float] = D65_XY


GAMUTS: dict[str, Gamut] = {
    "rec709": Gamut("rec709", (0.640, 0.330), (0.300, 0.600), (0.150, 0.060)),  # ITU-R BT.709 (= sRGB)
    "p3d65": Gamut("p3d65", (0.680, 0.320), (0.265, 0.690), (0.150, 0.060)),  # SMPTE EG 432-1 P3, D65 white
    "rec2020": Gamut("rec2020", (0.708, 0.292), (0.170, 0.797), (0.131, 0.046)),  # ITU-R BT.2020 / BT.2100
}
"""The output gamuts by config name."""
SCENE_GAMUT = "rec709"
"""Gamut of scene-linear colour in the renderer (content, light cards, key colour)."""


def xy_to_xyz(xy: tuple[float, float], luminance: float = 1.0) -> np.ndarray:
    """CIE xy chromaticity → XYZ with ``Y = luminance``."""
    x, y = float(xy[0]), float(xy[1])
    if y <= 0.0:
        raise ValueError(f"chromaticity y must be positive, got {y}")
    return np.array([x / y, 1.0, (1.0 - x - y) / y]) * luminance


def rgb_to_xyz_matrix(gamut: Gamut) -> np.ndarray:
    """The normalised primary matrix (RP 177): linear RGB → XYZ, RGB white (1, 1, 1) → white XYZ with Y = 1."""
    primaries = np.column_stack([xy_to_xyz(p) for p in (gamut.red, gamut.green, gamut.blue)])
    scale = np.linalg.solve(primaries, xy_to_xyz(gamut.white))
    return primaries * scale[None, :]


def xyz_to_rgb_matrix(gamut: Gamut) -> np.ndarray:
    """XYZ → linear RGB of ``gamut`` (inverse of :func:`rgb_to_xyz_matrix`)."""
    return np.linalg.inv(rgb_to_xyz_matrix(gamut))


@cache
def _conversion(src: str, dst: str) -> tuple[tuple[float, ...], ...]:
    if src == dst:
        return tuple(tuple(row) for row in np.eye(3))
    a, b = gamut_by_name(src), gamut_by_name(dst)
    if a.white != b.white:
        raise ValueError(f"gamuts {src} and {dst} have different white points; adapt first")
    m = xyz_to_rgb_matrix(b) @ rgb_to_xyz_matrix(a)
    return tuple(tuple(float(v) for v in row) for row in m)


def gamut_by_name(name: str) -> Gamut:
    """One of :data:`GAMUTS`; ``ValueError`` naming the known ones otherwise."""
    try:
        return GAMUTS[name]
    except KeyError:
        raise ValueError(f"unknown gamut {name!r}; expected one of {', '.join(GAMUTS)}") from None


def conversion_matrix(src: str, dst: str) -> np.ndarray:
    """3×3 matrix taking linear RGB in gamut ``src`` to linear RGB in gamut ``dst`` (both D65); exactly the
    identity when ``src == dst``."""
    return np.array(_conversion(src, dst))
