"""Scene files (``scenes/*.yaml``): the virtual world shown on the walls (docs/scenes.md is the reference).

Scene space uses the stage axes and metres (X right, Y forward, Z up); ``placement`` puts the scene into the
stage. Colours are scene-linear RGB. Asset paths (panoramas, textures, glTF) are relative to the scene file;
:func:`check_scene` (run by :func:`stage.core.config.loader.load_scene_config`) checks that they exist and parse, and
records the scene file's folder so :func:`asset_path` can resolve them later.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr

from stage.core.config.scene_objects import (  # noqa: F401 - re-exported
    ArrayItem,
    ArrayObject,
    AssetPath,
    Box,
    ColorSpaceName,
    Cylinder,
    Gltf,
    Jitter,
    Plane,
    SceneObject,
    Sphere,
    Terrain,
)
from stage.core.config.types import ColorRGB, Finite, NonNegativeFloat, PositiveFloat, StrictModel, Vec3

MAX_POINT_LIGHTS = 8
"""Most point lights a scene may have (the shaders loop over a fixed-size array)."""
MAX_ARRAY_INSTANCES = 100_000
"""Most instances one ``array`` object may expand to."""


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


class PanoramaSky(StrictModel):
    """An equirectangular panorama (PNG or JPEG, sRGB, 2:1): columns are azimuth, rows elevation (top = zenith)."""

    kind: Literal["panorama"]
    path: AssetPath
    """Image file, relative to the scene file."""
    color_space: ColorSpaceName | None = None
    """Colour space the file is encoded in (docs/color.md): a colour space of the stage's OCIO config, or without
    one ``sRGB Encoded Rec.709 (sRGB)`` / ``Linear Rec.709 (sRGB)``; ``null``: sRGB-encoded Rec.709 for PNG/JPEG,
    scene-linear Rec.709 for OpenEXR. Converted to the working space when the scene loads."""
    center_azimuth_deg: Finite = 90.0
    """Scene azimuth (counter-clockwise from +X, degrees) seen at the image's centre column; 90 = +Y."""
    gain: NonNegativeFloat = 1.0
    """Multiplier of the image's linear colour."""
    horizon: ColorRGB | None = None
    """Colour the ground and fog fade into; default: the mean of the image's middle row."""


Sky = Annotated[GradientSky | SolidSky | PanoramaSky, Field(discriminator="kind")]


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


class Fog(StrictModel):
    """Exponential distance fog: ``colour = mix(surface, fog, 1 − exp(−density · max(d − start, 0)))``."""

    density_per_m: PositiveFloat = 0.01
    """Extinction per world metre of distance from the eye."""
    start_m: NonNegativeFloat = 0.0
    """Distance without fog, metres."""
    color: ColorRGB | None = None
    """Fog colour; default: the sky's horizon colour (tinted by the time of day)."""


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


class PointLight(StrictModel):
    """A point light: ``colour · intensity / max(d², 0.01) · (1 − (d/range)⁴)²`` (d in scene metres)."""

    position_m: Vec3
    """Position in scene space, metres."""
    color: ColorRGB = (1.0, 0.85, 0.6)
    """Light colour."""
    intensity: NonNegativeFloat = 10.0
    """Illuminance at 1 m, in multiples of ``color``."""
    range_m: PositiveFloat = 20.0
    """Distance where the light has faded to zero, metres."""


class TimeOfDay(StrictModel):
    """Lets the live ``time_of_day_h`` move the sun and tint the sky (docs/scenes.md gives the formulas)."""

    hours: Annotated[Finite, Field(ge=0.0, le=24.0)] = 12.0
    """Time used when none is given live, hours."""
    sunrise_azimuth_deg: Finite = 0.0
    """Azimuth of the sun at 6 h; it moves clockwise seen from above by 15° an hour."""
    noon_elevation_deg: Annotated[Finite, Field(gt=0.0, le=90.0)] = 60.0
    """Elevation at 12 h, degrees: ``elevation = noon · sin(π (h − 6) / 12)``."""
    dusk_color: ColorRGB = (0.9, 0.45, 0.2)
    """Horizon tint while the sun is near the horizon."""
    night_color: ColorRGB = (0.01, 0.015, 0.04)
    """Sky colour once the sun is 12° below the horizon."""


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
    fog: Fog | None = None
    """Distance fog (none by default)."""
    objects: list[SceneObject] = []
    """Geometry."""
    sun: Sun = Sun()
    """Directional light (its direction is replaced when ``time_of_day`` is set)."""
    ambient: ColorRGB = (0.25, 0.25, 0.3)
    """Ambient (sky) light colour."""
    point_lights: Annotated[list[PointLight], Field(max_length=MAX_POINT_LIGHTS)] = []
    """Up to 8 point lights."""
    time_of_day: TimeOfDay | None = None
    """Sun and sky follow the time of day (none: the sun stays where ``sun`` puts it)."""
    placement: Placement = Placement()
    """Scene-to-stage transform."""
    asset_folders: Annotated[list[Annotated[str, Field(min_length=1)]], Field(max_length=16)] = []
    """Extra folders (relative to the scene file, or absolute) that asset paths may point into. By default every
    asset (image, panorama, glTF) must lie inside the scene file's folder, after ``..`` and links are resolved."""

    _base_dir: Path | None = PrivateAttr(default=None)


def set_base_dir(scene: SceneConfig, base_dir: Path | None) -> SceneConfig:
    """Record the folder asset paths are relative to (``check_scene`` does this for loaded files); returns it."""
    scene._base_dir = None if base_dir is None else Path(base_dir)
    return scene


def asset_path(scene: SceneConfig, path: str) -> Path:
    """``path`` resolved against the scene file's folder (the working directory when unknown). For a scene loaded
    from a file, a path outside its folder and its ``asset_folders`` raises ``AssetError``."""
    from stage.core.scene.assets import confine

    p = Path(path)
    if scene._base_dir is None:
        return p
    full = p if p.is_absolute() else scene._base_dir / p
    roots = [scene._base_dir, *(scene._base_dir / folder for folder in scene.asset_folders)]
    return confine(full, roots, "list other folders in the scene's asset_folders")


def asset_refs(scene: SceneConfig) -> list[tuple[tuple[Any, ...], str, str]]:
    """Every asset the scene names: ``(key path, relative path, "image" | "panorama" | "gltf")``."""
    refs: list[tuple[tuple[Any, ...], str, str]] = []
    if scene.sky.kind == "panorama":
        refs.append((("sky", "path"), scene.sky.path, "panorama"))
    for i, obj in enumerate(scene.objects):
        if obj.kind == "plane" and obj.texture is not None:
            refs.append((("objects", i, "texture"), obj.texture, "image"))
        elif obj.kind == "gltf":
            refs.append((("objects", i, "path"), obj.path, "gltf"))
    return refs


def scene_color_spaces(scene: SceneConfig) -> list[tuple[tuple[Any, ...], str]]:
    """Every declared texture/panorama colour space: ``(key path, name)``."""
    found: list[tuple[tuple[Any, ...], str]] = []
    if scene.sky.kind == "panorama" and scene.sky.color_space is not None:
        found.append((("sky", "color_space"), scene.sky.color_space))
    for i, obj in enumerate(scene.objects):
        if obj.kind == "plane" and obj.texture_color_space is not None:
            found.append((("objects", i, "texture_color_space"), obj.texture_color_space))
    return found


def check_scene(scene: SceneConfig, base_dir: Path) -> list[tuple[tuple[Any, ...], str]]:
    """Cross-field problems: duplicate names, array sizes, and assets that are missing or do not parse."""
    from stage.core.scene.assets import AssetError
    from stage.core.scene.probe import probe_asset

    set_base_dir(scene, base_dir)
    found: list[tuple[tuple[Any, ...], str]] = []
    first: dict[str, int] = {}
    for i, obj in enumerate(scene.objects):
        if obj.kind == "array":
            n = obj.count[0] * obj.count[1] * (obj.count[2] if len(obj.count) == 3 else 1)
            if n > MAX_ARRAY_INSTANCES:
                found.append((("objects", i, "count"), f"{n} copies (at most {MAX_ARRAY_INSTANCES})"))
            if len(obj.spacing_m) != len(obj.count):
                found.append((("objects", i, "spacing_m"), "needs as many values as count"))
            if obj.item.kind == "plane" and obj.item.texture is not None:
                found.append((("objects", i, "item", "texture"), "textured planes cannot be arrayed"))
        if obj.name is None:
            continue
        if obj.name in first:
            found.append((("objects", i, "name"), f"duplicate name {obj.name!r} (also objects[{first[obj.name]}])"))
        else:
            first[obj.name] = i
    for loc, rel, kind in asset_refs(scene):
        try:
            probe_asset(asset_path(scene, rel), kind)
        except AssetError as exc:
            found.append((loc, str(exc)))
    return found
