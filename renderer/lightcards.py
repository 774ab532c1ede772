"""Light cards resolved to stage geometry (pure numpy): which wall each card is on, its centre and its frame."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stage.core.config.lightcards import LightCard
from stage.core.config.wall_geometry import section_set, wall_resolution_px, wall_sections
from stage.core.config.walls import Wall
from stage.core.geometry.pixelmap import point_of_pixel
from stage.core.geometry.raycast import cast_rays


@dataclass(frozen=True)
class PlacedCard:
    """A light card on one wall: centre, in-plane unit axes (stage metres) and what to draw."""

    name: str
    wall: str
    center_m: np.ndarray
    right: np.ndarray
    up: np.ndarray
    half_size_m: tuple[float, float]
    ellipse: bool
    softness: float
    color: tuple[float, float, float]
    """Colour × intensity, scene-linear."""
    color_space: str | None = None
    """OCIO colour space of the card's own colour (``source_color``); the wall pass converts it to the working
    space and multiplies by ``intensity`` (``color`` is then ignored)."""
    source_color: tuple[float, float, float] = (1.0, 1.0, 1.0)
    intensity: float = 1.0


def _section_at_column(wall: Wall, column: float):
    for section in wall_sections(wall):
        x, _, w, _ = section.pixel_rect
        if column < x + w:
            return section
    return wall_sections(wall)[-1]


def place_cards(cards: list[LightCard], walls: list[Wall], viewpoint_m: tuple[float, float, float]) -> list[PlacedCard]:
    """Resolve the enabled cards; a card by direction that meets no wall is skipped."""
    placed: list[PlacedCard] = []
    by_name = {w.name: w for w in walls}
    sections_all = section_set(walls) if walls else None
    for card in cards:
        if not card.enabled:
            continue
        if card.wall is not None and card.center_uv is not None:
            wall = by_name.get(card.wall)
            if wall is None:
                continue
            width, height = wall_resolution_px(wall)
            col, row = card.center_uv[0] * width, card.center_uv[1] * height
            section = _section_at_column(wall, min(col, width - 1e-6))
            center = point_of_pixel(section, col, row)
        else:
            az, el = math.radians(card.azimuth_deg), math.radians(card.elevation_deg)
            direction = np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
            hits = cast_rays(np.asarray(viewpoint_m, dtype=float), direction, sections_all)
            hit = hits.at(0)
            if hit is None:
                continue
            wall = walls[hit.wall_index]
            section = wall_sections(wall)[hit.section_index]
            center = np.asarray(hit.point_m)
        placed.append(
            PlacedCard(
                name=card.name,
                wall=wall.name,
                center_m=np.asarray(center, dtype=float).reshape(3),
                right=section.right,
                up=section.up,
                half_size_m=(card.size_m[0] / 2.0, card.size_m[1] / 2.0),
                ellipse=card.shape == "ellipse",
                softness=card.softness,
                color=tuple(c * card.intensity for c in card.color),
                color_space=card.color_space,
                source_color=tuple(card.color),
                intensity=card.intensity,
            )
        )
    return placed
