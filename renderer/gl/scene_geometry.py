"""CPU side of the scene pass (numpy only, no GL; safe in a worker thread): what a scene draws and how it is lit.

:func:`prepare_scene` turns a :class:`~stage.core.config.scene.SceneConfig` into a :class:`PreparedScene`: per
primitive kind the rows of per-instance attributes (``array`` objects expanded here, deterministically), the
meshes that need their own draw (textured planes, terrain, glTF primitives) and the decoded panorama. Asset files
are read here, so this is the slow part of a scene switch; :meth:`renderer.gl.scene_pass.ScenePass.set_scene`
then only uploads. :func:`scene_block` packs the lights, sky, fog and placement into the ``SceneBlock`` layout.

Time of day (when the scene has ``time_of_day``; ``h`` in hours): the sun's elevation is
``noon_elevation_deg · sin(π (h − 6) / 12)`` and its azimuth ``sunrise_azimuth_deg − 15 · (h − 6)`` degrees;
with ``day = smoothstep(−12°, 10°, elevation)`` and ``dusk = exp(−(elevation / 8°)²)`` the sky colours fade to
``night_color`` as ``day`` falls, the horizon leans towards ``dusk_color`` by ``0.7 · dusk``, the sun's light
scales by ``smoothstep(−2°, 6°, elevation)`` and the ambient light by ``0.08 + 0.92 · day``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from renderer.meshes import Mesh, mesh_for_kind, normal_matrix, object_matrix, placement_matrix, sun_direction
from renderer.meshes import terrain_mesh as build_terrain
from stage.core.color.texture_space import to_working
from stage.core.config.color import ColorManagement
from stage.core.config.scene import MAX_POINT_LIGHTS, ArrayObject, SceneConfig, asset_path

#: Kinds drawn instanced (one draw call each, whatever the number of objects and array copies).
INSTANCED_KINDS: tuple[str, ...] = ("box", "sphere", "cylinder", "plane")
INSTANCE_FLOATS = 16 + 9 + 4
"""Per instance: scene_from_object (mat4), normal matrix (mat3), albedo (rgb + emissive)."""
#: Brightness of the sun disc in the sky, in multiples of ``sun.color · sun.intensity`` (gradient skies only).
SUN_DISC_GAIN = 4.0
#: Distance (scene metres, scaled by the placement) at which the ground has faded 63 % into the horizon colour.
GROUND_FADE_M = 150.0
BLOCK_FLOATS = 2 * 16 + 12 * 4 + MAX_POINT_LIGHTS * 8
"""Floats of the scene part of ``SceneBlock`` (std140, after the per-frame part)."""


@dataclass
class CustomDraw:
    """A mesh with its own vertex buffer: drawn with one instance row and an optional base-colour texture."""

    vertices: np.ndarray
    """N × 12 float32 (:meth:`renderer.meshes.Mesh.gpu_vertices`)."""
    indices: np.ndarray
    """M × 3 uint32."""
    row: np.ndarray
    """The instance row (:data:`INSTANCE_FLOATS` float32)."""
    texture: np.ndarray | None = None
    """H × W × 4 uint8 sRGB, or float32 scene-linear in the working space; row 0 top."""
    double_sided: bool = False
    spin: tuple[int, float] | None = None
    """``(object index, deg/s)`` for an animated object."""


@dataclass
class PreparedScene:
    """Everything a scene draws, on the CPU; build with :func:`prepare_scene`."""

    config: SceneConfig
    instances: dict[str, np.ndarray]
    """Per instanced kind, n × :data:`INSTANCE_FLOATS` float32."""
    custom: list[CustomDraw] = field(default_factory=list)
    panorama: np.ndarray | None = None
    """H × W × 4 uint8 sRGB, or float32 scene-linear in the working space; row 0 = zenith."""
    horizon: tuple[float, float, float] | None = None
    """Horizon colour of a panorama sky (linear)."""
    spinning: list[tuple[str, int, int]] = field(default_factory=list)
    """``(kind, row, object index)`` of animated instanced objects."""

    @property
    def animated(self) -> bool:
        """True when something moves with the scene time (``spin_deg_per_s``), instanced or not."""
        return bool(self.spinning) or any(c.spin is not None for c in self.custom)


def instance_row(m: np.ndarray, color: Sequence[float], emissive: float) -> np.ndarray:
    """One row of per-instance attributes for ``scene_from_object`` = ``m``."""
    return np.concatenate([m.T.ravel(), normal_matrix(m).T.ravel(), [*color[:3], emissive]]).astype(np.float32)


def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in [0, 1] → linear."""
    c = np.asarray(c, dtype=float)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def array_rows(obj: ArrayObject) -> np.ndarray:
    """The instance rows of an ``array``: a grid centred on ``position_m``, turned by ``yaw_deg``, with the
    item's own offset, yaw and size, ``fill`` and ``jitter`` drawn from ``default_rng(jitter.seed)``."""
    item, j = obj.item, obj.jitter
    counts = list(obj.count) + [1] * (3 - len(obj.count))
    spacing = list(obj.spacing_m) + [0.0] * (3 - len(obj.spacing_m))
    axes = [(np.arange(n) - (n - 1) / 2.0) * s for n, s in zip(counts, spacing, strict=True)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    rng = np.random.default_rng(j.seed)
    n = len(grid)
    keep = rng.random(n) < obj.fill if obj.fill < 1.0 else np.ones(n, bool)
    offset = rng.uniform(-1.0, 1.0, (n, 3)) * j.position_m * (np.asarray(counts) > 1)
    yaw = rng.uniform(-1.0, 1.0, n) * j.yaw_deg
    scale = 1.0 + rng.uniform(-1.0, 1.0, (n, 3)) * np.asarray(j.scale)
    bright = 1.0 + rng.uniform(-1.0, 1.0, n) * j.color
    idx = np.flatnonzero(keep)
    base = object_matrix(item)
    size = np.linalg.norm(base[:3, :3], axis=0)  # column lengths = the item's size
    c, s = np.cos(np.radians(yaw[idx])), np.sin(np.radians(yaw[idx]))
    rz = np.zeros((len(idx), 3, 3))
    rz[:, 0, 0], rz[:, 0, 1], rz[:, 1, 0], rz[:, 1, 1], rz[:, 2, 2] = c, -s, s, c, 1.0
    m = np.tile(np.eye(4), (len(idx), 1, 1))
    m[:, :3, :3] = rz @ base[:3, :3] * scale[idx][:, None, :]
    m[:, :3, 3] = base[:3, 3] + grid[idx] + offset[idx]
    if item.kind in ("box", "cylinder"):  # grow upwards from the base
        m[:, 2, 3] += 0.5 * (scale[idx, 2] - 1.0) * size[2]
    m = object_matrix(obj) @ m
    normal = np.transpose(np.linalg.inv(m[:, :3, :3]), (0, 2, 1))
    color = np.clip(np.asarray(item.color)[None] * bright[idx][:, None], 0.0, 1.0)
    emissive = np.full((len(idx), 1), item.emissive)
    rows = np.hstack([np.transpose(m, (0, 2, 1)).reshape(-1, 16), np.transpose(normal, (0, 2, 1)).reshape(-1, 9),
                      color, emissive])
    return np.asarray(rows, np.float32).reshape(-1, INSTANCE_FLOATS)


def _custom_from_mesh(mesh: Mesh, m: np.ndarray, color, emissive: float, texture=None, double=False,
                      spin=None) -> CustomDraw:
    return CustomDraw(mesh.gpu_vertices(), mesh.indices, instance_row(m, color, emissive), texture, double, spin)


def prepare_scene(scene: SceneConfig, color: ColorManagement | None = None) -> PreparedScene:
    """Expand arrays, build terrain meshes, read textures, glTF models and the panorama (raises
    :class:`~stage.core.scene.assets.AssetError` for a file that is missing or broken). Textures and the panorama
    are converted from their declared ``color_space`` into the working space of ``color`` (the stage's colour
    management; ``None``: no OCIO config), :mod:`stage.core.color.texture_space`."""
    from stage.core.scene.assets import load_panorama
    from stage.core.scene.gltf import load_gltf

    ocio_config = color.ocio_config if color is not None else None
    working = color.working_space if color is not None else None

    def working_image(path: Path, declared: str | None) -> np.ndarray:
        image = load_panorama(path)  # PNG/JPEG as uint8 sRGB, OpenEXR as float32
        return to_working(image, path, declared, ocio_config, working)

    rows: dict[str, list[np.ndarray]] = {k: [] for k in INSTANCED_KINDS}
    prepared = PreparedScene(scene, {})
    for index, obj in enumerate(scene.objects):
        spin = (index, obj.spin_deg_per_s) if obj.spin_deg_per_s else None
        m = object_matrix(obj)
        if obj.kind == "array":
            rows[obj.item.kind].append(array_rows(obj))
        elif obj.kind == "terrain":
            prepared.custom.append(_custom_from_mesh(build_terrain(obj), m, (1, 1, 1), obj.emissive, spin=spin))
        elif obj.kind == "plane" and obj.texture is not None:
            image = working_image(asset_path(scene, obj.texture), obj.texture_color_space)
            prepared.custom.append(_custom_from_mesh(mesh_for_kind("plane"), m, obj.color, obj.emissive, image,
                                                     spin=spin))
        elif obj.kind == "gltf":
            for prim in load_gltf(asset_path(scene, obj.path)).primitives:
                mesh = Mesh(np.hstack([prim.positions, prim.normals]).astype(np.float32), prim.indices, prim.uvs,
                            prim.colors)
                color = np.asarray(obj.color) * np.asarray(prim.base_color[:3])
                prepared.custom.append(_custom_from_mesh(mesh, m, color, obj.emissive, prim.texture,
                                                         prim.double_sided, spin))
        else:
            if spin:
                prepared.spinning.append((obj.kind, sum(len(r) for r in rows[obj.kind]), index))
            rows[obj.kind].append(instance_row(m, obj.color, obj.emissive)[None])
    prepared.instances = {k: np.concatenate(v, dtype=np.float32) if v else np.zeros((0, INSTANCE_FLOATS),
                          np.float32) for k, v in rows.items()}
    if scene.sky.kind == "panorama":
        prepared.panorama = working_image(asset_path(scene, scene.sky.path), scene.sky.color_space)
        middle = prepared.panorama[prepared.panorama.shape[0] // 2, :, :3]
        linear = middle if prepared.panorama.dtype == np.float32 else srgb_to_linear(middle / 255.0)
        prepared.horizon = scene.sky.horizon or tuple(float(v) for v in linear.mean(0))
    return prepared


def _smoothstep(e0: float, e1: float, x: float) -> float:
    t = min(max((x - e0) / (e1 - e0), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def sun_at(scene: SceneConfig, time_of_day_h: float | None) -> tuple[float, float]:
    """``(azimuth_deg, elevation_deg)`` of the sun: the scene's own, or from the time of day (module docstring);
    ``None`` uses ``time_of_day.hours``. Scenes without ``time_of_day`` ignore the time."""
    tod = scene.time_of_day
    if tod is None:
        return scene.sun.azimuth_deg, scene.sun.elevation_deg
    h = tod.hours if time_of_day_h is None else float(time_of_day_h)
    return tod.sunrise_azimuth_deg - 15.0 * (h - 6.0), tod.noon_elevation_deg * math.sin(math.pi * (h - 6.0) / 12.0)


def scene_block(prepared: PreparedScene, offset_m: Sequence[float], yaw_deg: float, scale: float,
                time_of_day_h: float | None = None) -> np.ndarray:
    """The scene part of ``SceneBlock`` (:data:`BLOCK_FLOATS` float32, std140) for this placement and time."""
    scene = prepared.config
    world_from_scene = placement_matrix(offset_m, yaw_deg, scale)
    sun, sky, tod = scene.sun, scene.sky, scene.time_of_day
    azimuth, elevation = sun_at(scene, time_of_day_h)
    sun_rgb = np.asarray(sun.color) * sun.intensity
    ambient, pano_gain = np.asarray(scene.ambient), 0.0
    if sky.kind == "gradient":
        zenith, horizon, nadir = (np.asarray(c) for c in (sky.zenith, sky.horizon, sky.nadir))
    elif sky.kind == "panorama":
        zenith = horizon = nadir = np.asarray(prepared.horizon or (0.5, 0.5, 0.5))
        pano_gain = sky.gain
    else:
        zenith = horizon = nadir = np.asarray(sky.color)
    disc = SUN_DISC_GAIN if sun.intensity > 0.0 and sky.kind == "gradient" else 0.0
    if tod is not None:
        day, dusk = _smoothstep(-12.0, 10.0, elevation), math.exp(-((elevation / 8.0) ** 2))
        night = np.asarray(tod.night_color)
        zenith, nadir = night + (zenith - night) * day, nadir * (0.1 + 0.9 * day)
        horizon = night + (horizon - night) * day
        horizon = horizon + (np.asarray(tod.dusk_color) * max(day, 0.2) - horizon) * 0.7 * dusk
        sun_rgb = (sun_rgb + (np.asarray(tod.dusk_color) - sun_rgb) * 0.5 * dusk) * _smoothstep(-2.0, 6.0, elevation)
        ambient, pano_gain = ambient * (0.08 + 0.92 * day), pano_gain * (0.05 + 0.95 * day)
    ground = scene.ground
    fog = scene.fog
    fog_rgb = horizon if fog is None or fog.color is None else np.asarray(fog.color)
    fog_density = 0.0 if fog is None else fog.density_per_m / scale
    fog_start = 0.0 if fog is None else fog.start_m * scale
    center = math.radians(sky.center_azimuth_deg if sky.kind == "panorama" else 0.0)
    vectors = [
        (*sun_direction(azimuth, elevation, yaw_deg), disc),
        (*sun_rgb, 0.0),
        (*ambient, 0.0),
        (*zenith, 0.0),
        (*horizon, 0.0),
        (*nadir, 0.0),
        (*ground.color, 1.0 if ground.enabled else 0.0),
        (*ground.grid_color, ground.grid_spacing_m),
        (float(offset_m[2]) + scale * ground.height_m, ground.grid_line_width_m, GROUND_FADE_M * scale, 0.0),
        (*fog_rgb, fog_density),
        (fog_start, 1.0 if sky.kind == "panorama" else 0.0, center, pano_gain),
        (float(len(scene.point_lights)), scale, 0.0, 0.0),
    ]
    lights = np.zeros((MAX_POINT_LIGHTS, 8))
    for i, light in enumerate(scene.point_lights):
        lights[i, :3] = (world_from_scene @ np.append(light.position_m, 1.0))[:3]
        lights[i, 3] = light.range_m * scale
        lights[i, 4:7] = np.asarray(light.color) * light.intensity
    mats = [world_from_scene.T.ravel(), np.linalg.inv(world_from_scene).T.ravel()]
    return np.concatenate([*mats, np.asarray(vectors, dtype=float).ravel(), lights.ravel()]).astype(np.float32)
