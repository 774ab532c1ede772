"""Transfer functions (OETF / inverse EOTF) with the exact published constants, vectorised over numpy arrays.

* sRGB — IEC 61966-2-1: linear segment ``12.92·L`` below ``L = 0.0031308`` (code value 0.04045), else
  ``1.055·L^(1/2.4) − 0.055``.
* BT.1886 — ITU-R BT.1886 reference EOTF ``L = a·max(V + b, 0)^2.4`` with white ``Lw`` and black ``Lb``
  luminances; with ``Lb = 0`` (the default) it is a pure 2.4 power law.
* PQ — SMPTE ST 2084: absolute luminance 0–10 000 cd/m² (nits) ↔ code value 0–1.

Scene-linear values are relative (1.0 = diffuse white). For PQ the absolute luminance is
``linear × REFERENCE_WHITE_NITS`` clipped to the wall's peak (:func:`encode`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

TRANSFERS = ("linear", "srgb", "bt1886", "pq")
"""Output transfer functions, in the order of their GLSL codes (``TRANSFER`` define, 0–3)."""

SRGB_LINEAR_BREAK = 0.0031308
"""Linear light below which sRGB is the linear segment."""
SRGB_CODE_BREAK = 0.04045
"""sRGB code value at the breakpoint (IEC 61966-2-1 decoding threshold)."""
BT1886_GAMMA = 2.4

PQ_M1 = 2610.0 / 16384.0
PQ_M2 = 2523.0 / 4096.0 * 128.0
PQ_C1 = 3424.0 / 4096.0
PQ_C2 = 2413.0 / 4096.0 * 32.0
PQ_C3 = 2392.0 / 4096.0 * 32.0
PQ_MAX_NITS = 10000.0
"""Luminance of PQ code value 1.0, cd/m²."""
REFERENCE_WHITE_NITS = 100.0
"""Luminance of scene-linear 1.0 on a PQ wall, cd/m² (the SDR reference white)."""
DEFAULT_PEAK_NITS = 1000.0


def _array(values: ArrayLike) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def srgb_encode(linear: ArrayLike) -> np.ndarray:
    """Relative linear light in [0, 1] → sRGB code value in [0, 1] (input clipped to [0, 1])."""
    x = np.clip(_array(linear), 0.0, 1.0)
    return np.where(x <= SRGB_LINEAR_BREAK, 12.92 * x, 1.055 * np.power(x, 1.0 / 2.4) - 0.055)


def srgb_decode(code: ArrayLike) -> np.ndarray:
    """sRGB code value in [0, 1] → relative linear light (input clipped to [0, 1])."""
    v = np.clip(_array(code), 0.0, 1.0)
    return np.where(v <= SRGB_CODE_BREAK, v / 12.92, np.power((v + 0.055) / 1.055, 2.4))


def _bt1886_ab(white: float, black: float) -> tuple[float, float]:
    if not 0.0 <= black < white:
        raise ValueError(f"BT.1886 needs 0 <= black < white luminance, got black {black}, white {white}")
    span = white ** (1.0 / BT1886_GAMMA) - black ** (1.0 / BT1886_GAMMA)
    return span**BT1886_GAMMA, black ** (1.0 / BT1886_GAMMA) / span


def bt1886_decode(code: ArrayLike, white: float = 1.0, black: float = 0.0) -> np.ndarray:
    """BT.1886 EOTF: code value in [0, 1] → screen luminance in the units of ``white``/``black``."""
    a, b = _bt1886_ab(white, black)
    return a * np.power(np.maximum(np.clip(_array(code), 0.0, 1.0) + b, 0.0), BT1886_GAMMA)


def bt1886_encode(luminance: ArrayLike, white: float = 1.0, black: float = 0.0) -> np.ndarray:
    """Inverse BT.1886 EOTF: luminance in [black, white] → code value in [0, 1] (input clipped)."""
    a, b = _bt1886_ab(white, black)
    lum = np.clip(_array(luminance), black, white)
    return np.clip(np.power(lum / a, 1.0 / BT1886_GAMMA) - b, 0.0, 1.0)


def pq_encode(nits: ArrayLike) -> np.ndarray:
    """SMPTE ST 2084 inverse EOTF: absolute luminance in cd/m² → code value in [0, 1] (clipped to 0–10 000)."""
    y = np.clip(_array(nits) / PQ_MAX_NITS, 0.0, 1.0)
    ym = np.power(y, PQ_M1)
    return np.power((PQ_C1 + PQ_C2 * ym) / (1.0 + PQ_C3 * ym), PQ_M2)


def pq_decode(code: ArrayLike) -> np.ndarray:
    """SMPTE ST 2084 EOTF: code value in [0, 1] → absolute luminance in cd/m²."""
    vp = np.power(np.clip(_array(code), 0.0, 1.0), 1.0 / PQ_M2)
    y = np.power(np.maximum(vp - PQ_C1, 0.0) / (PQ_C2 - PQ_C3 * vp), 1.0 / PQ_M1)
    return y * PQ_MAX_NITS


def encode(linear: ArrayLike, transfer: str, peak_nits: float = DEFAULT_PEAK_NITS) -> np.ndarray:
    """The output encoding of the wall shader, in numpy: relative scene-linear light (already in the wall's gamut)
    → code value in [0, 1].

    ``linear`` and the SDR transfers clip to [0, 1]; ``pq`` maps 1.0 to :data:`REFERENCE_WHITE_NITS` and clips at
    ``peak_nits`` (cd/m²) before encoding.
    """
    if transfer == "linear":
        return np.clip(_array(linear), 0.0, 1.0)
    if transfer == "srgb":
        return srgb_encode(linear)
    if transfer == "bt1886":
        return bt1886_encode(linear)
    if transfer == "pq":
        peak = min(max(float(peak_nits), 0.0), PQ_MAX_NITS)
        return pq_encode(np.clip(_array(linear) * REFERENCE_WHITE_NITS, 0.0, peak))
    raise ValueError(f"unknown transfer {transfer!r}; expected one of {', '.join(TRANSFERS)}")
