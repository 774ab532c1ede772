"""Scene files (``scenes/*.yaml``): the virtual world shown on the walls.

Scene space uses the stage axes and metres (X right, Y forward, Z up); ``placement`` puts the
scene into the stage. Colours are scene-linear RGB. This model is the base the scenes-and-colour
work extends (panoramas, glTF, fog, instancing): new object kinds join the ``SceneObject`` union.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from stage.config.types import ColorRGB, Finite, Name, NonNegativeFloat, PositiveFloat, StrictModel, Vec3


class GradientSky(StrictModel):
    """A sky that blends from ``horizon`` to ``zenith`` above the horizon and to ``nadir`` below."""

    kind: Literal["gradient"]
    zenith: ColorRGB = (0.10, 0.25, 0.60)
    """Colour straight up."""
    horizon: ColorRGB = (0.70, 0.80, 0.90)
    """Colour at the horizon."""
    nadir: ColorRGB = (0.15, 0.13, 0.12)
    """Colour straight down (seen where there is no ground)."""


class SolidSky(StrictModel):
    """A uniform background colour."""

    kind: Literal["solid"]
    color: ColorRGB = (0.0, 0.0, 0.0)
    """Background colour."""


Sky = Annotated[GradientSky | SolidSky, Field(discriminator="kind")]


class Ground(StrictModel):
    """An infinite ground plane with an optional grid (fades out with distance)."""

    enabled: bool = True
    """Draw the ground."""
    height_m: Finite = 0.0
    """Ground height in scene Z, metres."""
    color: ColorRGB = (0.30, 0.30, 0.30)
    """Ground colour."""
    grid_color: ColorRGB = (0.85, 0.85, 0.85)
    """Grid line colour."""
    grid_spacing_m: PositiveFloat = 1.0
    """Distance between grid lines, metres; lines every 10th spacing are brighter."""
    grid_line_width_m: PositiveFloat = 0.02
    """Width of a grid line, metres."""


class _ObjectBase(StrictModel):
    name: Name | None = None
    """Optional object name (for live edits and error messages)."""
    position_m: Vec3 = (0.0, 0.0, 0.0)
    """Centre of the object in scene space, metres."""
    yaw_deg: Finite = 0.0
    """Rotation about scene Z (right-hand rule), degrees."""
    color: ColorRGB = (0.8, 0.8, 0.8)
    """Base colour, scene-linear."""
    emissive: NonNegativeFloat = 0.0
    """Self-illumination multiplier of ``color`` (0 = lit only by the lights)."""


class Box(_ObjectBase):
    """An axis-aligned (before yaw) box."""

    kind: Literal["box"]
    size_m: tuple[PositiveFloat, PositiveFloat, PositiveFloat] = (1.0, 1.0, 1.0)
    """Size along X, Y, Z, metres."""


class Sphere(_ObjectBase):
    """A sphere."""

    kind: Literal["sphere"]
    radius_m: PositiveFloat = 0.5
    """Radius, metres."""


class Cylinder(_ObjectBase):
    """A vertical cylinder, centred on ``position_m``."""

    kind: Literal["cylinder"]
    radius_m: PositiveFloat = 0.5
    """Radius, metres."""
    height_m: PositiveFloat = 1.0
    """Height, metres."""


SceneObject = Annotated[Box | Sphere | Cylinder, Field(discriminator="kind")]


class Sun(StrictModel):
    """A directional light."""

    azimuth_deg: Finite = 135.0
    """Direction the light comes FROM, counter-clockwise from +X seen from above, degrees."""
    elevation_deg: Annotated[Finite, Field(ge=-90.0, le=90.0)] = 45.0
    """Height of the sun above the horizon, degrees."""
    color: ColorRGB = (1.0, 0.95, 0.85)
    """Light colour."""
    intensity: NonNegativeFloat = 1.0
    """Multiplier of ``color``."""


class Placement(StrictModel):
    """Scene-to-stage transform: ``p_stage = offset + scale · Rz(yaw) · p_scene`` (live parameters)."""

    offset_m: Vec3 = (0.0, 0.0, 0.0)
    """Where the scene origin sits in the stage, metres."""
    yaw_deg: Finite = 0.0
    """Turn of the scene about stage Z, degrees."""
    scale: PositiveFloat = 1.0
    """Uniform scale of the scene."""


class SceneConfig(StrictModel):
    """A virtual world to show on the walls."""

    name: Annotated[str, Field(min_length=1, max_length=120)]
    """Scene name, shown to operators and on the tablet."""
    sky: Sky = GradientSky(kind="gradient")
    """Background."""
    ground: Ground = Ground()
    """Ground plane."""
    objects: list[SceneObject] = []
    """Geometry."""
    sun: Sun = Sun()
    """Directional light."""
    ambient: ColorRGB = (0.25, 0.25, 0.3)
    """Ambient (sky) light colour."""
    placement: Placement = Placement()
    """Scene-to-stage transform."""


def check_scene(scene: SceneConfig, base_dir: Path) -> list[tuple[tuple[Any, ...], str]]:
    """Cross-field problems of a scene: duplicate object names."""
    found: list[tuple[tuple[Any, ...], str]] = []
    first: dict[str, int] = {}
    for i, obj in enumerate(scene.objects):
        if obj.name is None:
            continue
        if obj.name in first:
            found.append((("objects", i, "name"), f"duplicate name {obj.name!r} (also objects[{first[obj.name]}])"))
        else:
            first[obj.name] = i
    return found
