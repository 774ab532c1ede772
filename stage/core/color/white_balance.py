"""White balance (colour temperature in kelvin + green–magenta tint) as a 3×3 matrix on linear Rec.709.

Meaning: a **camera's white balance**, as Unreal Engine's post-process ``WhiteTemp``/``WhiteTint`` in its default
temperature type *White Balance* (Epic's API reference: ``WhiteTemp`` "controls the color temperature or white
balance in degrees Kelvin which the scene considers as white light"; the other type, *Color Temperature*, "is the
inverse of the White Balance operation" — unreal.TemperatureMethod / FCompositeTemperatureSettings,
dev.epicgames.com). ``kelvin`` names the light that comes out white: light of that colour temperature is mapped to
the neutral white. So, as on a camera, **3200 K cools** the wall's content (a tungsten balance turns daylight
blue) and 9000 K warms it. ``tint`` follows the camera convention too: positive tint makes the picture more
magenta (the white point compensated for is greener), negative more green.

* CCT → chromaticity: Krystek's rational approximation of the Planckian locus in CIE 1960 (u, v)
  (M. Krystek, "An algorithm to calculate correlated colour temperature", Color Res. Appl. 10 (1985);
  about 10⁻⁴ in uv over 1000–15 000 K — 1.2·10⁻⁴ against CIE illuminant A — which covers the live range
  2000–15 000 K). The Planckian locus, not the
  CIE daylight locus, because the daylight formula is only defined from 4000 K.
* Tint: a shift of ``Duv`` along the unit normal to the locus in (u, v); :func:`white_xy` with positive tint is
  magenta (below the locus, ``Duv < 0``), negative is green, ±1 is ``Duv = ∓0.02``.
* Adaptation: the linear Bradford transform (von Kries scaling in the Bradford cone space) from the balanced
  white ``white_xy(kelvin, −tint)`` to the neutral white, then scaled so that the content's white (RGB 1, 1, 1)
  keeps its luminance: white balance changes colour, not exposure.

6500 K with tint 0 is exactly the identity (the source and target whites are the same point). The adaptation is
*relative*: it maps the locus at ``kelvin`` to the locus at 6500 K, and is applied to Rec.709 content whose white is
D65 (≈0.005 in xy from the locus at 6500 K), which keeps 6500 K neutral rather than tinting every wall by the small
locus-to-D65 offset.

Until issue 13 ``white_balance_k`` did the inverse (3200 K warmed: the wall *emitted* a 3200 K white, a "wall
white point"), the opposite of what the name means to a DP.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from stage.core.color.gamut import GAMUTS, rgb_to_xyz_matrix, xy_to_xyz

NEUTRAL_K = 6500.0
"""Colour temperature that leaves the content unchanged, kelvin."""
TINT_DUV_PER_UNIT = 0.02
"""Distance from the Planckian locus in CIE 1960 uv per unit of tint."""
MIN_K, MAX_K = 1000.0, 15000.0
"""Range of Krystek's approximation, kelvin."""

BRADFORD = np.array([
    [0.8951, 0.2664, -0.1614],
    [-0.7502, 1.7135, 0.0367],
    [0.0389, -0.0685, 1.0296],
])
"""XYZ → Bradford cone response (Lam 1985)."""


def planckian_uv(kelvin: float) -> tuple[float, float]:
    """CIE 1960 (u, v) of a black body at ``kelvin`` (Krystek 1985), 1000–15 000 K."""
    t = float(kelvin)
    if not MIN_K <= t <= MAX_K:
        raise ValueError(f"colour temperature {t:g} K outside {MIN_K:g}–{MAX_K:g} K")
    u = (0.860117757 + 1.54118254e-4 * t + 1.28641212e-7 * t * t) / (1.0 + 8.42420235e-4 * t + 7.08145163e-7 * t * t)
    v = (0.317398726 + 4.22806245e-5 * t + 4.20481691e-8 * t * t) / (1.0 - 2.89741816e-5 * t + 1.61456053e-7 * t * t)
    return u, v


def uv_to_xy(u: float, v: float) -> tuple[float, float]:
    """CIE 1960 (u, v) → CIE 1931 (x, y)."""
    d = 2.0 * u - 8.0 * v + 4.0
    return 3.0 * u / d, 2.0 * v / d


def white_xy(kelvin: float, tint: float = 0.0) -> tuple[float, float]:
    """Chromaticity of the white for ``kelvin`` and ``tint`` (−1 green … +1 magenta), CIE 1931 xy."""
    u, v = planckian_uv(kelvin)
    if tint:
        step = 1.0  # kelvin, for the locus tangent (central difference, clamped to the valid range)
        lo, hi = planckian_uv(max(MIN_K, kelvin - step)), planckian_uv(min(MAX_K, kelvin + step))
        du, dv = hi[0] - lo[0], hi[1] - lo[1]
        norm = float(np.hypot(du, dv))
        nu, nv = -dv / norm, du / norm  # unit normal; nv > 0 because u falls as the temperature rises
        if nv < 0.0:
            nu, nv = -nu, -nv
        duv = -float(tint) * TINT_DUV_PER_UNIT  # positive Duv is above the locus (green)
        u, v = u + duv * nu, v + duv * nv
    return uv_to_xy(u, v)


def bradford_adaptation(src_xy: tuple[float, float], dst_xy: tuple[float, float]) -> np.ndarray:
    """3×3 XYZ → XYZ matrix adapting colours seen under white ``src_xy`` to white ``dst_xy`` (both Y = 1)."""
    src, dst = BRADFORD @ xy_to_xyz(src_xy), BRADFORD @ xy_to_xyz(dst_xy)
    return np.linalg.inv(BRADFORD) @ np.diag(dst / src) @ BRADFORD


@lru_cache(maxsize=256)
def _matrix(kelvin: float, tint: float) -> tuple[tuple[float, ...], ...]:
    if kelvin == NEUTRAL_K and tint == 0.0:
        return tuple(tuple(row) for row in np.eye(3))
    npm = rgb_to_xyz_matrix(GAMUTS["rec709"])
    cat = bradford_adaptation(white_xy(kelvin, -tint), white_xy(NEUTRAL_K))
    m = np.linalg.inv(npm) @ cat @ npm
    m /= npm[1] @ m @ np.ones(3)  # the content's white keeps its luminance: white balance is not exposure
    return tuple(tuple(float(v) for v in row) for row in m)


def white_balance_matrix(kelvin: float = NEUTRAL_K, tint: float = 0.0) -> np.ndarray:
    """3×3 matrix on linear Rec.709 RGB (column vectors) applying a camera-style white balance: light of
    ``kelvin`` (and tint) comes out neutral, so 3200 K cools and positive tint is magenta; exactly the identity for
    :data:`NEUTRAL_K` and tint 0. ``kelvin`` in 1000–15 000 K, ``tint`` in −1…1 (clipped)."""
    return np.array(_matrix(float(kelvin), float(np.clip(tint, -1.0, 1.0))))
