"""Flat LED sections of a wall and the wall's pixel layout.

Every wall is a row of flat rectangular sections: a flat wall, ceiling or floor has one; a curved
wall has one per cabinet column, whose vertical edges lie on the arc. Each section owns a
rectangle of the wall image (``pixel_rect`` = ``[x, y, w, h]``, row 0 at the top, column 0 at the
wall's left edge seen from inside).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stage.config.walls import CurvedWall, Wall


@dataclass(frozen=True)
class Section:
    """A flat rectangle of LEDs. Corners in stage metres, seen from inside the volume."""

    lower_left: np.ndarray
    lower_right: np.ndarray
    upper_left: np.ndarray
    pixel_rect: tuple[int, int, int, int]
    """``[x, y, w, h]`` of this section in the wall image."""

    @property
    def upper_right(self) -> np.ndarray:
        return self.lower_right + self.upper_left - self.lower_left

    @property
    def width_m(self) -> float:
        return float(np.linalg.norm(self.lower_right - self.lower_left))

    @property
    def height_m(self) -> float:
        return float(np.linalg.norm(self.upper_left - self.lower_left))

    @property
    def right(self) -> np.ndarray:
        """Unit vector along the bottom edge, left to right."""
        v = self.lower_right - self.lower_left
        return v / np.linalg.norm(v)

    @property
    def up(self) -> np.ndarray:
        """Unit vector along the left edge, bottom to top."""
        v = self.upper_left - self.lower_left
        return v / np.linalg.norm(v)

    @property
    def normal(self) -> np.ndarray:
        """Unit normal pointing into the volume (towards the viewer), ``right × up``."""
        n = np.cross(self.right, self.up)
        return n / np.linalg.norm(n)

    def to_json(self) -> dict:
        return {
            "lower_left": [float(v) for v in self.lower_left],
            "lower_right": [float(v) for v in self.lower_right],
            "upper_left": [float(v) for v in self.upper_left],
            "pixel_rect": list(self.pixel_rect),
        }


def _arc_point(wall: CurvedWall, angle_deg: float, z: float) -> np.ndarray:
    cx, cy = wall.arc.center_m
    a = math.radians(angle_deg)
    return np.array([cx + wall.arc.radius_m * math.cos(a), cy + wall.arc.radius_m * math.sin(a), z])


def column_angles_deg(wall: CurvedWall) -> np.ndarray:
    """Angles of the ``columns + 1`` cabinet edges, from the left edge (start) to the right (end)."""
    return np.linspace(wall.arc.start_deg, wall.arc.end_deg, wall.columns + 1)


def wall_size_m(wall: Wall) -> tuple[float, float]:
    """LED surface ``(width, height)`` in metres; a curved wall's width is the sum of its cabinet chords."""
    if isinstance(wall, CurvedWall):
        sweep = math.radians(wall.arc.start_deg - wall.arc.end_deg) / wall.columns
        chord = 2.0 * wall.arc.radius_m * math.sin(sweep / 2.0)
        return chord * wall.columns, wall.height_m
    c = wall.corners
    ll, lr, ul = (np.asarray(v, dtype=float) for v in (c.lower_left, c.lower_right, c.upper_left))
    return float(np.linalg.norm(lr - ll)), float(np.linalg.norm(ul - ll))


def wall_resolution_px(wall: Wall) -> tuple[int, int]:
    """The wall image size ``(width, height)``: given directly, from the cabinets, or from the pixel pitch.

    From the pitch a curved wall gets the same whole number of pixels in every column.
    """
    if wall.resolution_px is not None:
        return int(wall.resolution_px[0]), int(wall.resolution_px[1])
    if wall.cabinets is not None:
        return wall.cabinets.resolution_px
    pitch_m = wall.pixel_pitch_mm / 1000.0
    width_m, height_m = wall_size_m(wall)
    height_px = max(1, round(height_m / pitch_m))
    if isinstance(wall, CurvedWall):
        column_px = max(1, round(width_m / wall.columns / pitch_m))
        return column_px * wall.columns, height_px
    return max(1, round(width_m / pitch_m)), height_px


def wall_sections(wall: Wall) -> list[Section]:
    """The flat sections of ``wall``, left to right as seen from inside."""
    width_px, height_px = wall_resolution_px(wall)
    if isinstance(wall, CurvedWall):
        angles = column_angles_deg(wall)
        column_px = width_px // wall.columns
        z0, z1 = wall.bottom_m, wall.bottom_m + wall.height_m
        return [
            Section(
                lower_left=_arc_point(wall, angles[i], z0),
                lower_right=_arc_point(wall, angles[i + 1], z0),
                upper_left=_arc_point(wall, angles[i], z1),
                pixel_rect=(i * column_px, 0, column_px, height_px),
            )
            for i in range(wall.columns)
        ]
    c = wall.corners
    return [
        Section(
            lower_left=np.asarray(c.lower_left, dtype=float),
            lower_right=np.asarray(c.lower_right, dtype=float),
            upper_left=np.asarray(c.upper_left, dtype=float),
            pixel_rect=(0, 0, width_px, height_px),
        )
    ]
