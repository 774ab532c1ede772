"""Which pixels of a camera's inner-frustum image some LED walls can sample: a conservative pixel rectangle (pure
numpy, no GL). The inverse of :mod:`stage.core.geometry.frustum_cover` (which wall pixels a frustum covers).

The wall pass samples the inner image (bilinear, clamped to the edge) at ``uv = ndc · 0.5 + 0.5`` of every LED
pixel centre ``p`` whose ``clip = clip_from_world · [p, 1]`` has ``w > 0`` and ``|x|, |y| ≤ w``; no other texel is
ever read. Every pixel centre lies on a flat section. A section wholly in front of the eye projects onto the
convex hull of its projected corners, so their bounding box, clamped to the image, holds every pixel of it the wall
reads; a section through the eye plane (rare: beside or above the camera) is first clipped in clip space by the
planes ``|x| ≤ w``, ``|y| ≤ w`` and ``w > 0`` (as :mod:`~stage.core.geometry.frustum_cover` does on the wall). The
union of those boxes over all sections, widened by the bilinear footprint plus a margin, holds every texel a wall
pixel can read: a scene render scissored to it gives
the walls exactly the same picture (``renderer.gl.stage_renderer.StageRenderer.render_inner``).

Rectangles here are in GL window pixels of the image: ``(x0, y0, x1, y1)``, origin at the bottom-left (texture row
0, ``ndc.y = −1``), ``x1``/``y1`` exclusive.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from stage.core.geometry.frustum_cover import OFFSETS, PLANES
from stage.core.geometry.sections import Section

ImageRect = tuple[int, int, int, int]
"""``(x0, y0, x1, y1)`` in image pixels, origin bottom-left, ``x1``/``y1`` exclusive."""

MARGIN_PX = 2
"""Texels added on every side beyond the bilinear footprint (one texel): float32 rounding in the wall shader."""


def _clip(polygon: np.ndarray) -> np.ndarray:
    """Sutherland–Hodgman in clip space: the part of a polygon (``(n, 4)`` clip coordinates) inside the frustum's
    side planes and in front of the eye (:data:`~stage.core.geometry.frustum_cover.PLANES`)."""
    for plane, offset in zip(PLANES, OFFSETS, strict=True):
        out = []
        values = polygon @ plane + offset
        n = len(polygon)
        for i in range(n):
            j = (i + 1) % n
            if values[i] <= 0:
                out.append(polygon[i])
            if (values[i] <= 0) != (values[j] <= 0):
                out.append(polygon[i] + (values[i] / (values[i] - values[j])) * (polygon[j] - polygon[i]))
        polygon = np.asarray(out).reshape(-1, 4)
        if not len(polygon):
            break
    return polygon


class ImageCover:
    """:meth:`rect` for a fixed set of flat sections (the walls one renderer draws), corners precomputed."""

    def __init__(self, sections: Sequence[Section], margin_px: int = MARGIN_PX) -> None:
        corners = [c for s in sections for c in (s.upper_left, s.upper_right, s.lower_right, s.lower_left)]
        self._corners = np.c_[np.asarray(corners, dtype=float).reshape(-1, 3), np.ones(len(corners))]
        self.margin_px = int(margin_px)

    def ndc_bounds(self, clip_from_world: np.ndarray) -> tuple[float, float, float, float] | None:
        """``(x_min, y_min, x_max, y_max)`` in NDC holding every section's part inside the frustum; ``None`` when
        no section reaches into it."""
        if not len(self._corners):
            return None
        at = (self._corners @ np.asarray(clip_from_world, dtype=float).T).reshape(-1, 4, 4)  # (section, corner, xyzw)
        values = at @ PLANES.T + OFFSETS  # (section, corner, plane): ≤ 0 inside
        outside = (values > 0).all(axis=1).any(axis=1)  # every corner beyond one plane
        front = (values[:, :, -1] <= 0).all(axis=1) & ~outside  # every corner in front of the eye
        # In front of the eye: the projected corners' box, each section's clamped to the image on its own (a
        # section beside the frustum adds nothing); vectorised, no polygon clipping.
        whole = at[front]
        ndc = whole[:, :, :2] / whole[:, :, 3:4]
        lo, hi = np.maximum(ndc.min(axis=1), -1.0), np.minimum(ndc.max(axis=1), 1.0)
        keep = (lo <= hi).all(axis=1)
        lows, highs = [lo[keep]], [hi[keep]]
        for i in np.nonzero(~front & ~outside)[0]:  # through the eye plane (rare): clip the polygon exactly
            part = _clip(at[i])
            if len(part):
                part_ndc = np.clip(part[:, :2] / part[:, 3:4], -1.0, 1.0)  # on the planes; clamps only rounding
                lows.append(part_ndc.min(axis=0, keepdims=True))
                highs.append(part_ndc.max(axis=0, keepdims=True))
        lo, hi = np.concatenate(lows), np.concatenate(highs)
        if not len(lo):
            return None
        lo, hi = lo.min(axis=0), hi.max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])

    def rect(self, clip_from_world: np.ndarray, size_px: tuple[int, int]) -> ImageRect | None:
        """The pixel rectangle of a ``size_px`` image seen through ``clip_from_world`` holding every texel the
        wall pass can read for these sections, or ``None`` when it reads none."""
        bounds = self.ndc_bounds(clip_from_world)
        if bounds is None:
            return None
        width, height = size_px
        pad = 1 + self.margin_px  # the bilinear neighbour, then the margin
        x0 = max(0, math.floor((bounds[0] + 1.0) * 0.5 * width) - pad)
        y0 = max(0, math.floor((bounds[1] + 1.0) * 0.5 * height) - pad)
        x1 = min(width, math.ceil((bounds[2] + 1.0) * 0.5 * width) + pad)
        y1 = min(height, math.ceil((bounds[3] + 1.0) * 0.5 * height) + pad)
        return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None
