"""Which LED pixels of a wall an inner frustum covers, as a conservative pixel rectangle (pure numpy, no GL).

A pixel is covered when its centre ``p`` has ``clip = clip_from_world · [p, 1]`` with ``w > 0``, ``|x| ≤ w`` and
``|y| ≤ w`` — the wall pass's own test. On a flat section ``clip`` is affine in the continuous image coordinates
``(col, row)`` (:func:`stage.core.geometry.pixelmap.point_of_pixel`), so the covered part of the section is the
section's
rectangle clipped by five half-planes: a convex polygon, whose bounding box, widened by one pixel, holds every
covered pixel centre. Sections entirely inside or outside the frustum (all four corners) skip the clipping.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from stage.core.geometry.sections import Section

Rect = tuple[int, int, int, int]
"""``(x0, y0, x1, y1)`` in wall image pixels, row 0 at the top, ``x1``/``y1`` exclusive."""

W_EPSILON = 1e-9
"""``w`` must exceed this (points at or behind the eye are not covered)."""
PLANES = np.array([[1.0, 0, 0, -1], [-1.0, 0, 0, -1], [0, 1.0, 0, -1], [0, -1.0, 0, -1], [0, 0, 0, -1]])
"""The covered region as half-spaces ``n · clip ≤ 0``: x ≤ w, −x ≤ w, y ≤ w, −y ≤ w, and w > 0 (with
:data:`W_EPSILON`)."""
OFFSETS = np.array([0.0, 0.0, 0.0, 0.0, W_EPSILON])


def _affine(section: Section, clip_from_world: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``clip(col, row) = c0 + col · dc + row · dr`` for points on ``section``."""
    x, y, w, h = section.pixel_rect
    across = (section.lower_right - section.lower_left) / w
    down = (section.lower_left - section.upper_left) / h
    origin = section.upper_left - x * across - y * down  # the stage point at (col, row) = (0, 0)
    m = np.asarray(clip_from_world, dtype=float)
    return m @ np.append(origin, 1.0), m[:, :3] @ across, m[:, :3] @ down


def _clip_polygon(points: list[tuple[float, float]], a: float, b: float, c: float) -> list[tuple[float, float]]:
    """Sutherland–Hodgman: the part of a convex polygon where ``a·col + b·row + c ≤ 0``."""
    out: list[tuple[float, float]] = []
    n = len(points)
    for i in range(n):
        p, q = points[i], points[(i + 1) % n]
        fp, fq = a * p[0] + b * p[1] + c, a * q[0] + b * q[1] + c
        if fp <= 0:
            out.append(p)
        if (fp <= 0) != (fq <= 0):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def section_cover(section: Section, clip_from_world: np.ndarray) -> Rect | None:
    """The pixel rectangle of ``section`` that holds every pixel the frustum covers, or ``None``."""
    x, y, w, h = section.pixel_rect
    c0, dc, dr = _affine(section, clip_from_world)
    corners = [(float(x), float(y)), (float(x + w), float(y)), (float(x + w), float(y + h)), (float(x), float(y + h))]
    at = np.array([c0 + col * dc + row * dr for col, row in corners])  # (4 corners, 4)
    values = PLANES @ at.T + OFFSETS[:, None]  # (5 planes, 4 corners)
    if (values > 0).all(axis=1).any():
        return None  # every corner outside one plane: nothing covered
    polygon = corners
    if not (values <= 0).all():
        for n, offset in zip(PLANES, OFFSETS, strict=True):
            polygon = _clip_polygon(polygon, float(n @ dc), float(n @ dr), float(n @ c0) + offset)
            if not polygon:
                return None
    cols = [p[0] for p in polygon]
    rows = [p[1] for p in polygon]
    x0, x1 = max(x, int(np.floor(min(cols))) - 1), min(x + w, int(np.ceil(max(cols))) + 1)
    y0, y1 = max(y, int(np.floor(min(rows))) - 1), min(y + h, int(np.ceil(max(rows))) + 1)
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


class WallCover:
    """:func:`covered_rect` for one wall, with its sections' corners precomputed: per frame, one numpy product
    classifies every section against every frustum and only the sections a frustum edge crosses are clipped."""

    def __init__(self, sections: list[Section], size_px: tuple[int, int]) -> None:
        self.sections = sections
        self.size_px = size_px
        corners = []
        for section in self.sections:
            corners += [section.upper_left, section.upper_right, section.lower_right, section.lower_left]
        self._corners = np.c_[np.asarray(corners, dtype=float), np.ones(len(corners))]  # (4 S, 4)
        self._rects = np.asarray([s.pixel_rect for s in self.sections], dtype=int)

    def rect(self, clips: Sequence[np.ndarray]) -> Rect | None:
        found: list[Rect] = []
        for clip in clips:
            at = self._corners @ np.asarray(clip, dtype=float).T  # (4 S, 4): clip coordinates of every corner
            values = (at @ PLANES.T + OFFSETS).reshape(len(self.sections), 4, 5)  # (S, corner, plane)
            outside = (values > 0).all(axis=1).any(axis=1)
            inside = (values <= 0).all(axis=(1, 2))
            for i in np.nonzero(inside)[0]:
                x, y, w, h = self._rects[i]
                found.append((int(x), int(y), int(x + w), int(y + h)))
            for i in np.nonzero(~outside & ~inside)[0]:
                rect = section_cover(self.sections[i], clip)
                if rect is not None:
                    found.append(rect)
        if not found:
            return None
        width, height = self.size_px
        return (max(0, min(r[0] for r in found)), max(0, min(r[1] for r in found)),
                min(width, max(r[2] for r in found)), min(height, max(r[3] for r in found)))


def covered_rect(sections: list[Section], size_px: tuple[int, int], clips: Sequence[np.ndarray]) -> Rect | None:
    """The smallest pixel rectangle of a wall image (``size_px``, tiled by ``sections``) holding every pixel any of
    the frusta ``clips`` (``clip_from_world`` matrices) covers, widened by a pixel; ``None`` when none is covered."""
    return WallCover(sections, size_px).rect(clips)
