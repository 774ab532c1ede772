"""Hue-preserving highlight clip: what the wall output transform does to light above the encoding's range.

Clipping each channel at the limit separately changes a bright colour's channel ratios: sand at +2 EV, linear
(2.0, 1.6, 0.4), becomes (1.0, 1.0, 0.4) — yellow instead of ochre. Instead, for a colour whose largest channel
``peak`` exceeds ``limit`` (``L``):

    s   = rgb · L / peak                              (scaled down as a whole: the channel ratios are kept)
    t   = min(1, log2(peak / L) / STOPS_TO_WHITE)     (how far over, in stops, as a fraction of 3 stops)
    out = s + t · (L − s)                             (that much of the way to white at L)

So a colour just over the limit keeps its hue and saturation, and one :data:`STOPS_TO_WHITE` stops (8×) over turns
white at the limit, as an over-exposed light does on camera (a sun disc is white, not cream). Both steps keep
the hue exactly: scaling all channels and adding the same amount to all channels leave
``(mid − min) / (max − min)`` (:func:`hue_ratio`) unchanged. Colours whose every channel is ≤ ``L`` are unchanged
bit for bit, the result's largest channel is exactly ``L`` when over, and it is continuous (``t = 0`` at the
limit). Negative channels are left to the encoding's own clip at 0. The limit is 1.0 (scene-linear diffuse white)
for the SDR transfers and the wall's peak in scene-linear units (``peak_nits / 100``) for PQ. The shader's
``clip_highlights`` (``renderer/gl/shaders/highlights.glsl``) is this function (docs/color.md, "Highlights").
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

STOPS_TO_WHITE = 3.0
"""Stops above the limit at which a colour has rolled off to white."""


def clip_highlights(rgb: ArrayLike, limit: float = 1.0) -> np.ndarray:
    """``rgb`` (…, 3) with every colour whose largest channel exceeds ``limit`` brought to it, hue kept (above)."""
    c = np.asarray(rgb, dtype=np.float64)
    peak = c.max(axis=-1, keepdims=True)
    over = peak > limit
    safe_peak = np.where(over, peak, limit)
    scaled = c * (limit / safe_peak)
    t = np.minimum(np.log2(safe_peak / limit) / STOPS_TO_WHITE, 1.0)
    return np.where(over, scaled + t * (limit - scaled), c)


def hue_ratio(rgb: ArrayLike) -> np.ndarray:
    """``(mid − min) / (max − min)`` of each colour (…, 3): the position between its two primaries that fixes its
    hue (HSV hue within its sextant); unchanged by scaling the colour or adding white. NaN for greys."""
    c = np.sort(np.asarray(rgb, dtype=np.float64), axis=-1)
    span = c[..., 2] - c[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (c[..., 1] - c[..., 0]) / span
