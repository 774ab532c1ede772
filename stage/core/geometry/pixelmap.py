"""LED pixel position maps: wall image pixel ↔ stage position (pure numpy).

Wall image coordinates (docs/coordinates.md): ``col`` grows to the right seen from inside the
volume, ``row`` grows downwards, row 0 at the top. Continuous coordinates put pixel ``(j, i)``
(column j, row i) over ``[j, j+1) × [i, i+1)``, so its centre is at ``(j + 0.5, i + 0.5)``.
A section with ``pixel_rect = [x, y, w, h]`` maps its upper-left corner to ``(x, y)`` and its
lower-right corner to ``(x + w, y + h)``, linearly in between.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from stage.core.geometry.sections import Section

__all__ = ["pixel_of_point", "point_of_pixel", "section_pixel_positions"]


def section_pixel_positions(sections: list[Section], width_px: int, height_px: int) -> np.ndarray:
    """Stage position (metres) of every LED pixel centre of the image ``width_px × height_px`` that ``sections``
    tile (:func:`stage.core.config.wall_geometry.pixel_positions` for a wall).

    Returns a C-contiguous ``float32`` array of shape ``(height_px, width_px, 3)`` (row 0 at the top), ready for
    ``glTexImage2D(GL_RGB32F, width, height, GL_RGB, GL_FLOAT, ...)`` — note GL's first texture row is its bottom
    row, so sample it with ``v = 1 − (row + 0.5)/height`` or flip. Pixels no section covers are NaN."""
    covered = sum(s.pixel_rect[2] * s.pixel_rect[3] for s in sections)
    if covered == width_px * height_px:
        out = np.empty((height_px, width_px, 3), dtype=np.float32)
    else:
        out = np.full((height_px, width_px, 3), np.nan, dtype=np.float32)
    for s in sections:
        x, y, w, h = s.pixel_rect
        across = (s.lower_right - s.lower_left) / w  # metres per pixel column
        down = (s.lower_left - s.upper_left) / h  # metres per pixel row
        cols = (np.arange(w) + 0.5)[:, None] * across  # (w, 3)
        rows = s.upper_left + (np.arange(h) + 0.5)[:, None] * down  # (h, 3)
        np.add(
            rows.astype(np.float32)[:, None, :],
            cols.astype(np.float32)[None, :, :],
            out=out[y : y + h, x : x + w],
        )
    return out


def pixel_of_point(section: Section, point_m: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Continuous wall image ``(col, row)`` of stage point(s) ``point_m`` (shape ``(..., 3)``) on ``section``.

    Points off the section's plane are projected orthogonally onto it; points outside its
    rectangle give coordinates outside its ``pixel_rect``. Inverse of :func:`point_of_pixel`;
    ``pixel_of_point(s, pixel_positions(wall)[i, j]) ≈ (j + 0.5, i + 0.5)``.
    Scalars come back as 0-d arrays (``float()`` them).
    """
    x, y, w, h = section.pixel_rect
    rel = np.asarray(point_m, dtype=float) - section.lower_left
    across = np.sum(rel * section.right, axis=-1) / section.width_m  # 0 at left edge, 1 at right
    above = np.sum(rel * section.up, axis=-1) / section.height_m  # 0 at bottom edge, 1 at top
    return x + w * across, y + h * (1.0 - above)


def point_of_pixel(section: Section, col: ArrayLike, row: ArrayLike) -> np.ndarray:
    """Stage point (metres, shape ``(..., 3)``) at continuous wall image coordinates ``(col, row)``."""
    x, y, w, h = section.pixel_rect
    across = (np.asarray(col, dtype=float) - x) / w
    below = (np.asarray(row, dtype=float) - y) / h
    return (
        section.upper_left
        + across[..., None] * (section.lower_right - section.lower_left)
        + below[..., None] * (section.lower_left - section.upper_left)
    )
