"""A wall model's geometry: its surface and resolution handed to the plain-number geometry of
:mod:`stage.core.geometry`.

The one place where config models meet geometry; :mod:`stage.core.geometry` itself takes plain numbers and arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from stage.core.config.walls import Wall
from stage.core.geometry.pixelmap import section_pixel_positions
from stage.core.geometry.raycast import SectionSet
from stage.core.geometry.sections import Section, resolution_from_pitch, surface_sections, surface_size_m


def wall_size_m(wall: Wall) -> tuple[float, float]:
    """LED surface ``(width, height)`` in metres; a curved wall's width is the sum of its cabinet chords."""
    return surface_size_m(wall.surface)


def wall_resolution_px(wall: Wall) -> tuple[int, int]:
    """The wall image size ``(width, height)``: given directly, from the cabinets, or from the pixel pitch."""
    if wall.resolution_px is not None:
        return int(wall.resolution_px[0]), int(wall.resolution_px[1])
    if wall.cabinets is not None:
        return wall.cabinets.resolution_px
    return resolution_from_pitch(wall.surface, wall.pixel_pitch_mm)


def wall_sections(wall: Wall) -> list[Section]:
    """The flat sections of ``wall``, left to right as seen from inside."""
    return surface_sections(wall.surface, wall_resolution_px(wall))


def pixel_positions(wall: Wall) -> np.ndarray:
    """Stage position (metres) of every LED pixel centre of ``wall``'s image, ``(height_px, width_px, 3)`` float32
    (:func:`stage.core.geometry.pixelmap.section_pixel_positions`)."""
    width_px, height_px = wall_resolution_px(wall)
    return section_pixel_positions(wall_sections(wall), width_px, height_px)


def section_set(walls: Sequence[Wall]) -> SectionSet:
    """Every section of every wall, for ray casting (enabled or not: filter the list first if that matters)."""
    return SectionSet.from_named([(w.name, wall_sections(w)) for w in walls])
