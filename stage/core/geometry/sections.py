"""Flat LED sections of an LED surface and its pixel layout, from plain numbers.

Every surface is a row of flat rectangular sections: a flat one (wall, ceiling, floor) has one; an arc has one per
cabinet column, whose vertical edges lie on the arc. Each section owns a rectangle of the wall image
(``pixel_rect`` = ``[x, y, w, h]``, row 0 at the top, column 0 at the wall's left edge seen from inside).

This module knows no config models: a wall model describes itself as a :class:`FlatSurface` or :class:`ArcSurface`
(``wall.surface``) and its resolution, and :mod:`stage.core.config.wall_geometry` joins the two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


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


@dataclass(frozen=True)
class FlatSurface:
    """A flat rectangle of LEDs from three corners in stage metres, seen from inside the volume facing it."""

    lower_left: tuple[float, float, float]
    lower_right: tuple[float, float, float]
    upper_left: tuple[float, float, float]


@dataclass(frozen=True)
class ArcSurface:
    """A concave row of ``columns`` flat cabinet columns whose vertical edges lie on a circle in the stage XY plane.
    Angles count counter-clockwise from +X; the left edge seen from inside is at ``start_deg``."""

    center_m: tuple[float, float]
    radius_m: float
    start_deg: float
    end_deg: float
    bottom_m: float
    height_m: float
    columns: int


Surface = FlatSurface | ArcSurface


def _arc_point(arc: ArcSurface, angle_deg: float, z: float) -> np.ndarray:
    cx, cy = arc.center_m
    a = math.radians(angle_deg)
    return np.array([cx + arc.radius_m * math.cos(a), cy + arc.radius_m * math.sin(a), z])


def column_angles_deg(arc: ArcSurface) -> np.ndarray:
    """Angles of the ``columns + 1`` cabinet edges, from the left edge (start) to the right (end)."""
    return np.linspace(arc.start_deg, arc.end_deg, arc.columns + 1)


def surface_size_m(surface: Surface) -> tuple[float, float]:
    """LED surface ``(width, height)`` in metres; an arc's width is the sum of its cabinet chords."""
    if isinstance(surface, ArcSurface):
        sweep = math.radians(surface.start_deg - surface.end_deg) / surface.columns
        chord = 2.0 * surface.radius_m * math.sin(sweep / 2.0)
        return chord * surface.columns, surface.height_m
    ll, lr, ul = (np.asarray(v, dtype=float) for v in (surface.lower_left, surface.lower_right, surface.upper_left))
    return float(np.linalg.norm(lr - ll)), float(np.linalg.norm(ul - ll))


def resolution_from_pitch(surface: Surface, pitch_mm: float) -> tuple[int, int]:
    """The image size ``(width, height)`` of ``surface`` at a pixel pitch, rounded; an arc gets the same whole
    number of pixels in every column."""
    pitch_m = pitch_mm / 1000.0
    width_m, height_m = surface_size_m(surface)
    height_px = max(1, round(height_m / pitch_m))
    if isinstance(surface, ArcSurface):
        column_px = max(1, round(width_m / surface.columns / pitch_m))
        return column_px * surface.columns, height_px
    return max(1, round(width_m / pitch_m)), height_px


def surface_sections(surface: Surface, resolution_px: tuple[int, int]) -> list[Section]:
    """The flat sections of ``surface`` drawn at ``resolution_px``, left to right as seen from inside."""
    width_px, height_px = resolution_px
    if isinstance(surface, ArcSurface):
        angles = column_angles_deg(surface)
        column_px = width_px // surface.columns
        z0, z1 = surface.bottom_m, surface.bottom_m + surface.height_m
        return [
            Section(
                lower_left=_arc_point(surface, angles[i], z0),
                lower_right=_arc_point(surface, angles[i + 1], z0),
                upper_left=_arc_point(surface, angles[i], z1),
                pixel_rect=(i * column_px, 0, column_px, height_px),
            )
            for i in range(surface.columns)
        ]
    return [
        Section(
            lower_left=np.asarray(surface.lower_left, dtype=float),
            lower_right=np.asarray(surface.lower_right, dtype=float),
            upper_left=np.asarray(surface.upper_left, dtype=float),
            pixel_rect=(0, 0, width_px, height_px),
        )
    ]
