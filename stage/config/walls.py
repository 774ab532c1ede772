"""LED wall models: flat, curved (a row of flat cabinet columns), ceiling and floor.

All positions are stage metres (X right, Y forward, Z up; docs/coordinates.md). A wall's
pixel column 0 is its left edge seen from inside the volume facing the wall; row 0 is the top.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from stage.config.color import WallColor
from stage.config.types import (
    Finite,
    Name,
    PixelSize,
    PositiveFloat,
    StrictModel,
    Vec2,
    Vec3,
)

WallBrightness = Annotated[Finite, Field(ge=0.0, le=4.0)]
"""A wall's output multiplier (linear light): 0 (black) .. 4."""


class Corners(StrictModel):
    """Three corners of a flat LED surface in stage metres, seen from inside the volume facing
    the wall. The fourth corner is ``lower_right + upper_left - lower_left``."""

    lower_left: Vec3
    """Lower-left corner (first pixel column, last pixel row), stage metres."""
    lower_right: Vec3
    """Lower-right corner (last pixel column, last pixel row), stage metres."""
    upper_left: Vec3
    """Upper-left corner (first pixel column, first pixel row), stage metres."""


class OutputRegion(StrictModel):
    """Where a wall's image goes: which render node, which of its outputs, at which pixel offset."""

    node: Name
    """Name of the render node (``nodes[].name``) that draws this wall."""
    output: Name | None = None
    """Name of the node's output (``nodes[].outputs[].name``); default: the node's first output."""
    offset_px: tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]] = (0, 0)
    """Top-left pixel ``[x, y]`` of the wall image inside that output."""


class _WallBase(StrictModel):
    name: Name
    """Unique wall name (used in OSC addresses ``/stage/wall/<name>/...`` and output file names)."""
    resolution_px: PixelSize | None = None
    """LED pixel resolution ``[width, height]``; give this or ``pixel_pitch_mm``, not both."""
    pixel_pitch_mm: PositiveFloat | None = None
    """LED pixel pitch in millimetres; the resolution is derived from the wall's size."""
    output: OutputRegion
    """Which render node output draws this wall."""
    brightness: WallBrightness = 1.0
    """Initial brightness multiplier (live parameter)."""
    enabled: bool = True
    """Initial enable state (live parameter)."""
    color: WallColor = Field(default_factory=WallColor)
    """Output transform of the wall (transfer function, gamut, LUT; docs/color.md)."""

    @model_validator(mode="after")
    def _one_resolution_source(self) -> _WallBase:
        if (self.resolution_px is None) == (self.pixel_pitch_mm is None):
            raise ValueError("give exactly one of resolution_px or pixel_pitch_mm")
        return self


class FlatWall(_WallBase):
    """A flat rectangular LED wall (any orientation)."""

    kind: Literal["flat"]
    corners: Corners
    """Corner positions in stage metres."""


class CeilingWall(_WallBase):
    """A flat LED ceiling, seen from below. Like every wall its corners are given as seen from
    inside the volume looking at it, so ``right × up`` (lower_left→lower_right × lower_left→upper_left)
    points down into the volume."""

    kind: Literal["ceiling"]
    corners: Corners
    """Corner positions in stage metres."""


class FloorWall(_WallBase):
    """A flat LED floor, seen from above; ``right × up`` points up into the volume."""

    kind: Literal["floor"]
    corners: Corners
    """Corner positions in stage metres."""


class Arc(StrictModel):
    """A circular arc in the stage XY plane (seen from above). Angles are measured
    counter-clockwise from +X: 90° is straight ahead (+Y), 180° is stage left (−X)."""

    center_m: Vec2
    """Arc centre ``[x, y]`` in stage metres."""
    radius_m: PositiveFloat
    """Radius of the circle through the cabinet edges, metres."""
    start_deg: Finite
    """Angle of the wall's LEFT edge seen from inside (the larger angle), degrees."""
    end_deg: Finite
    """Angle of the wall's RIGHT edge seen from inside, degrees; ``start_deg - end_deg`` is the sweep."""

    @model_validator(mode="after")
    def _sweep(self) -> Arc:
        sweep = self.start_deg - self.end_deg
        if not 0.0 < sweep <= 360.0:
            raise ValueError(
                f"start_deg - end_deg must be in (0, 360] (start is the left edge seen from inside), got {sweep:g}"
            )
        return self


class CurvedWall(_WallBase):
    """A concave curved LED wall, built as a row of flat cabinet columns whose vertical edges
    lie on the arc. Seen from inside, column 0 is at ``arc.start_deg``."""

    kind: Literal["curved"]
    arc: Arc
    """The arc through the cabinet column edges."""
    bottom_m: Finite = 0.0
    """Height of the wall's bottom edge above the stage floor (Z), metres."""
    height_m: PositiveFloat
    """Height of the LED surface, metres."""
    columns: Annotated[int, Field(ge=1, le=4096)]
    """Number of flat cabinet columns; with ``resolution_px`` the width must divide evenly."""

    @model_validator(mode="after")
    def _columns_divide(self) -> CurvedWall:
        if self.resolution_px is not None and self.resolution_px[0] % self.columns:
            raise ValueError(
                f"resolution_px width {self.resolution_px[0]} is not a multiple of columns ({self.columns})"
            )
        return self


Wall = Annotated[FlatWall | CurvedWall | CeilingWall | FloorWall, Field(discriminator="kind")]
