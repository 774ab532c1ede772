"""Light cards: flat shapes of light placed on the walls, drawn over the outer frustum and never inside an inner
frustum — how cinematographers add light and reflections from the wall (live-editable)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from stage.core.config.color import OcioName
from stage.core.config.types import ColorRGB, Finite, Name, StrictModel, UnitFloat

CardSize = Annotated[Finite, Field(ge=0.01, le=100.0)]
"""One side of a light card, metres."""


class LightCard(StrictModel):
    """One light card. Place it on a wall (``wall`` + ``center_uv``) or by direction from the stage viewpoint
    (``azimuth_deg`` + ``elevation_deg``: where that ray meets the walls)."""

    name: Name
    """Card name (OSC: ``/stage/light_cards/<name>/...``)."""
    enabled: bool = True
    """Drawn or not."""
    shape: Literal["rectangle", "ellipse"] = "rectangle"
    """Outline."""
    size_m: tuple[CardSize, CardSize] = (1.0, 1.0)
    """Width and height on the wall, metres."""
    softness: UnitFloat = 0.2
    """Fraction of the half-size over which the edge falls off to zero (0 = hard edge)."""
    color: ColorRGB = (1.0, 1.0, 1.0)
    """Scene-linear colour (in ``color_space`` when given)."""
    color_space: OcioName | None = None
    """OCIO colour space ``color`` is given in (needs ``color.ocio_config``), e.g. ``sRGB Encoded Rec.709 (sRGB)``
    for a colour picked on a monitor; converted to the working space by OCIO before ``intensity``. ``null``: the
    working space."""
    intensity: Annotated[Finite, Field(ge=0.0, le=100.0)] = 1.0
    """Multiplier of ``color`` (scene-linear, so values above 1 are brighter than white content)."""
    wall: Name | None = None
    """Wall to place the card on (with ``center_uv``)."""
    center_uv: tuple[UnitFloat, UnitFloat] | None = None
    """Card centre on the wall image: ``[u, v]`` with u from the left edge, v from the top, each 0..1."""
    azimuth_deg: Finite | None = None
    """Direction from the stage viewpoint, counter-clockwise from +X seen from above (90 = main wall)."""
    elevation_deg: Annotated[Finite, Field(ge=-90.0, le=90.0)] | None = None
    """Height of that direction above the horizontal, degrees."""

    @model_validator(mode="after")
    def _one_placement(self) -> LightCard:
        on_wall = self.wall is not None or self.center_uv is not None
        by_direction = self.azimuth_deg is not None or self.elevation_deg is not None
        if on_wall == by_direction:
            raise ValueError("place the card either with wall + center_uv or with azimuth_deg + elevation_deg")
        if on_wall and (self.wall is None or self.center_uv is None):
            raise ValueError("a card on a wall needs both wall and center_uv")
        if by_direction and (self.azimuth_deg is None or self.elevation_deg is None):
            raise ValueError("a card by direction needs both azimuth_deg and elevation_deg")
        return self
