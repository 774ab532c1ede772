"""Scene objects (the ``objects:`` list of a scene file): primitives, planes, terrain, arrays and glTF models.

Re-exported by :mod:`stage.core.config.scene`; docs/scenes.md is the reference. Axes and units as there.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from stage.core.config.types import (
    ColorRGB,
    Finite,
    Name,
    NonNegativeFloat,
    PositiveFloat,
    StrictModel,
    UnitFloat,
    Vec2,
    Vec3,
)

Count = Annotated[int, Field(ge=1, le=1000)]
AssetPath = Annotated[str, Field(min_length=1, max_length=400)]
ColorSpaceName = Annotated[str, Field(min_length=1, max_length=1024)]
"""An OCIO colour space (or role, or alias) name."""


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
    spin_deg_per_s: Finite = 0.0
    """Animation: extra yaw of ``spin_deg_per_s · time_s`` degrees (time from the frame, so reproducible)."""


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


class Plane(_ObjectBase):
    """A two-sided rectangle, lying flat (normal +Z) before ``tilt_deg``; texture u along X, v along Y."""

    kind: Literal["plane"]
    size_m: tuple[PositiveFloat, PositiveFloat] = (1.0, 1.0)
    """Width (object X) and length (object Y), metres."""
    tilt_deg: Finite = 0.0
    """Rotation about object X before the yaw, degrees: 90 stands it up facing −Y (image top up)."""
    texture: AssetPath | None = None
    """Base-colour image (PNG/JPEG, sRGB; or OpenEXR, scene-linear) multiplied by ``color``, relative to the scene
    file."""
    texture_color_space: ColorSpaceName | None = None
    """Colour space the texture file is encoded in (docs/color.md): a colour space of the stage's OCIO config, or
    without one ``sRGB Encoded Rec.709 (sRGB)`` / ``Linear Rec.709 (sRGB)``; ``null``: sRGB-encoded Rec.709
    (OpenEXR: scene-linear Rec.709). Converted to the working space when the scene loads."""


class Terrain(_ObjectBase):
    """A heightfield generated at load time from seeded value noise (deterministic), coloured by height."""

    kind: Literal["terrain"]
    size_m: tuple[PositiveFloat, PositiveFloat] = (200.0, 200.0)
    """Extent along X and Y, metres; ``position_m`` is its centre at height 0."""
    cells: Annotated[int, Field(ge=2, le=512)] = 128
    """Grid cells per side."""
    height_m: NonNegativeFloat = 10.0
    """Peak-to-valley height of the noise, metres."""
    feature_m: PositiveFloat = 40.0
    """Wavelength of the largest noise octave, metres."""
    flat_radius_m: NonNegativeFloat = 0.0
    """Radius around the centre kept at height 0 (the stage floor), blending out over as much again."""
    seed: Annotated[int, Field(ge=0)] = 0
    """Noise seed."""
    peak_color: ColorRGB = (0.55, 0.52, 0.50)
    """Colour at the highest points (``color`` at the lowest)."""


class Jitter(StrictModel):
    """Seeded per-instance variation of an ``array`` (same seed → same scene)."""

    seed: Annotated[int, Field(ge=0)] = 0
    """Random seed."""
    position_m: NonNegativeFloat = 0.0
    """Largest offset along each array axis, metres (uniform in ±)."""
    yaw_deg: NonNegativeFloat = 0.0
    """Largest extra yaw, degrees (uniform in ±)."""
    scale: tuple[UnitFloat, UnitFloat, UnitFloat] = (0.0, 0.0, 0.0)
    """Largest relative change of the size along X, Y, Z (uniform in ±; Z grows upwards from the base)."""
    color: UnitFloat = 0.0
    """Largest relative change of the brightness of ``color`` (uniform in ±)."""


ArrayItem = Annotated[Box | Sphere | Cylinder | Plane, Field(discriminator="kind")]


class ArrayObject(_ObjectBase):
    """A grid of copies of one primitive (city blocks, forests, crowds, windows): one instanced draw."""

    kind: Literal["array"]
    item: ArrayItem
    """The primitive; its ``position_m`` is an offset from each grid point, its ``texture`` is not allowed."""
    count: tuple[Count, Count] | tuple[Count, Count, Count] = (1, 1)
    """Copies along the array's X, Y (and Z)."""
    spacing_m: Vec2 | Vec3 = (1.0, 1.0)
    """Distance between copies along X, Y (and Z), metres; the grid is centred on ``position_m``."""
    fill: UnitFloat = 1.0
    """Fraction of grid points that get a copy (seeded by ``jitter.seed``)."""
    jitter: Jitter = Jitter()
    """Per-copy variation."""


class Gltf(_ObjectBase):
    """A glTF 2.0 model (``.glb``, or ``.gltf`` with external or embedded buffers); ``color`` multiplies it."""

    kind: Literal["gltf"]
    path: AssetPath
    """Model file, relative to the scene file."""
    scale: PositiveFloat = 1.0
    """Uniform scale of the model."""
    y_up: bool = True
    """glTF's own axes (+Y up, +Z front): turned so +Y → scene +Z and the model's front faces −Y."""
    color: ColorRGB = (1.0, 1.0, 1.0)
    """Multiplier of the model's own base colours."""


SceneObject = Annotated[Box | Sphere | Cylinder | Plane | Terrain | ArrayObject | Gltf, Field(discriminator="kind")]
