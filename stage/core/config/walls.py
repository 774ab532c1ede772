"""LED wall models: flat, curved (a row of flat cabinet columns), ceiling and floor.

All positions are stage metres (X right, Y forward, Z up; docs/coordinates.md). A wall's
pixel column 0 is its left edge seen from inside the volume facing the wall; row 0 is the top.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from stage.core.config.color import WallColor
from stage.core.config.types import (
    Finite,
    Name,
    PixelSize,
    PositiveFloat,
    StrictModel,
    Vec2,
    Vec3,
)
from stage.core.geometry.sections import ArcSurface, FlatSurface

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


class Cabinets(StrictModel):
    """The LED cabinets (tiles) a wall is built from, as the processor maps them: every cabinet has a whole number
    of pixels, so this is the exact way to give a wall's resolution (``pixel_pitch_mm`` rounds)."""

    size_mm: tuple[PositiveFloat, PositiveFloat]
    """One cabinet's LED surface ``[width, height]`` in millimetres (e.g. ``[500, 500]``)."""
    pixels: PixelSize
    """Pixels of one cabinet ``[width, height]`` (e.g. ``[192, 192]`` for a 2.6 mm, 500 mm cabinet)."""
    count: tuple[Annotated[int, Field(ge=1, le=1024)], Annotated[int, Field(ge=1, le=1024)]]
    """Cabinets ``[across, high]``; on a curved wall each column of cabinets is one flat facet of the arc."""

    @property
    def resolution_px(self) -> tuple[int, int]:
        """The wall's pixels: cabinet pixels × count."""
        return self.pixels[0] * self.count[0], self.pixels[1] * self.count[1]

    @property
    def wall_size_m(self) -> tuple[float, float]:
        """The LED surface ``(width, height)`` in metres; a curved wall's width is the sum of its chords."""
        return self.size_mm[0] * self.count[0] / 1000.0, self.size_mm[1] * self.count[1] / 1000.0

    @property
    def pitch_mm(self) -> tuple[float, float]:
        """Pixel pitch ``(horizontal, vertical)`` in millimetres."""
        return self.size_mm[0] / self.pixels[0], self.size_mm[1] / self.pixels[1]


class _WallBase(StrictModel):
    name: Name
    """Unique wall name (used in OSC addresses ``/stage/walls/<name>/...`` and output file names)."""
    resolution_px: PixelSize | None = None
    """LED pixel resolution ``[width, height]``; give exactly one of ``resolution_px``, ``pixel_pitch_mm`` and
    ``cabinets``."""
    pixel_pitch_mm: PositiveFloat | None = None
    """LED pixel pitch in millimetres; the resolution is the wall's size over the pitch, rounded (``stage validate``
    warns when that is not a whole number of pixels: give ``cabinets`` then)."""
    cabinets: Cabinets | None = None
    """The cabinets the wall is built from; the resolution is cabinet pixels × count (exact)."""
    output: OutputRegion
    """Which render node output draws this wall."""
    brightness: WallBrightness = 1.0
    """Initial brightness multiplier (live parameter)."""
    enabled: bool = True
    """Initial enable state (live parameter)."""
    color: WallColor = Field(default_factory=WallColor)
    """Output transform of the wall (transfer function, gamut, LUT; docs/color.md)."""

    @property
    def surface(self) -> FlatSurface:
        """The LED surface in plain numbers, for :mod:`stage.core.geometry`."""
        c = self.corners
        return FlatSurface(tuple(c.lower_left), tuple(c.lower_right), tuple(c.upper_left))

    @model_validator(mode="after")
    def _one_resolution_source(self) -> _WallBase:
        given = [k for k in ("resolution_px", "pixel_pitch_mm", "cabinets") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of resolution_px, pixel_pitch_mm or cabinets (got {given or 'none'})")
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
    """Angle of the wall's RIGHT edge seen from inside, degrees; ``start_deg - end_deg`` is the sweep. With
    ``cabinets`` it may be left out: the sweep is then the cabinets' chords laid along the arc."""

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
    """Height of the LED surface, metres (with ``cabinets``: derived, may be left out)."""
    columns: Annotated[int, Field(ge=1, le=4096)]
    """Number of flat cabinet columns; with ``resolution_px`` the width must divide evenly (with ``cabinets``:
    the cabinets across, may be left out)."""

    @property
    def surface(self) -> ArcSurface:
        """The LED surface in plain numbers, for :mod:`stage.core.geometry`."""
        a = self.arc
        return ArcSurface(tuple(a.center_m), a.radius_m, a.start_deg, a.end_deg, self.bottom_m, self.height_m,
                          self.columns)

    @model_validator(mode="before")
    @classmethod
    def _derive_from_cabinets(cls, data: Any) -> Any:
        """Fill ``columns``, ``height_m`` and ``arc.end_deg`` from the cabinets where they are left out."""
        derived = _curved_from_cabinets(data)
        if not derived:
            return data
        data = dict(data)
        arc = dict(data["arc"])
        for key, value in derived.items():
            target = arc if key == "end_deg" else data
            target.setdefault(key, value)
        data["arc"] = arc
        return data

    @model_validator(mode="after")
    def _cabinets_agree(self) -> CurvedWall:
        cab = self.cabinets
        if cab is None:
            return self
        if self.columns != cab.count[0]:
            raise ValueError(f"columns {self.columns} disagrees with cabinets.count[0] {cab.count[0]}: leave one out")
        height_m = cab.wall_size_m[1]
        if abs(self.height_m - height_m) > 0.001:
            raise ValueError(f"height_m {self.height_m:g} disagrees with the cabinets' height {height_m:g} m")
        chord_m = cab.size_mm[0] / 1000.0
        if chord_m >= 2.0 * self.arc.radius_m:
            raise ValueError(
                f"a {cab.size_mm[0]:g} mm cabinet does not fit on an arc of radius {self.arc.radius_m:g} m"
            )
        sweep_deg = cab.count[0] * math.degrees(2.0 * math.asin(chord_m / (2.0 * self.arc.radius_m)))
        given_deg = self.arc.start_deg - self.arc.end_deg
        if abs(given_deg - sweep_deg) > 0.01:
            raise ValueError(
                f"arc sweep {given_deg:g}° disagrees with {cab.count[0]} cabinets of {cab.size_mm[0]:g} mm on radius "
                f"{self.arc.radius_m:g} m ({sweep_deg:.4f}°): leave arc.end_deg out to derive it"
            )
        return self

    @model_validator(mode="after")
    def _columns_divide(self) -> CurvedWall:
        if self.resolution_px is not None and self.resolution_px[0] % self.columns:
            raise ValueError(
                f"resolution_px width {self.resolution_px[0]} is not a multiple of columns ({self.columns})"
            )
        return self


def _curved_from_cabinets(data: Any) -> dict[str, float]:
    """``columns``, ``height_m`` and ``end_deg`` implied by a raw curved wall's cabinets; empty when it has none or
    they cannot be read (the field validators then report what is wrong)."""
    try:
        cab, arc = data["cabinets"], data["arc"]
        width_mm, height_mm = (float(v) for v in cab["size_mm"])
        across, high = (int(v) for v in cab["count"])
        radius_m, start_deg = float(arc["radius_m"]), float(arc["start_deg"])
    except (KeyError, TypeError, ValueError):
        return {}
    if not (0.0 < width_mm / 1000.0 < 2.0 * radius_m and across >= 1 and high >= 1 and math.isfinite(start_deg)):
        return {}
    sweep_deg = across * math.degrees(2.0 * math.asin(width_mm / 1000.0 / (2.0 * radius_m)))
    return {"columns": across, "height_m": height_mm * high / 1000.0, "end_deg": start_deg - sweep_deg}


Wall = Annotated[FlatWall | CurvedWall | CeilingWall | FloorWall, Field(discriminator="kind")]
