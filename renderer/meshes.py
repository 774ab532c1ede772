"""Unit meshes for the scene's primitives and the matrices that place them (pure numpy, no GL).

Meshes are in the object's own axes (scene axes before the object's yaw: X right, Y forward, Z up),
centred on the origin, with outward normals and counter-clockwise front faces seen from outside:

* :func:`unit_box`: the cube ``[-0.5, 0.5]^3`` with flat per-face normals (24 vertices, 12 triangles);
* :func:`uv_sphere`: the sphere of radius 1 with smooth normals, one vertex at each pole;
* :func:`capped_cylinder`: radius 1, Z from −0.5 to 0.5, smooth sides and flat caps;
* :func:`unit_plane`: the square ``[-0.5, 0.5]^2`` at Z = 0, two-sided, with texture coordinates;
* :func:`terrain_mesh`: a seeded value-noise heightfield with vertex colours by height.

A :class:`Mesh` holds interleaved ``float32`` vertices ``[px, py, pz, nx, ny, nz]`` and ``uint32`` triangle
indices. Scaling a unit mesh by :func:`object_size` gives the scene object: a box of ``size_m``, a sphere of
``radius_m``, a cylinder of ``radius_m`` and ``height_m``. Everything here is deterministic.

Transforms follow CONVENTIONS.md (column vectors, ``p_world = M @ p_object``):
``world_from_object = world_from_scene @ scene_from_object`` with
``world_from_scene = T(offset) · scale · Rz(yaw)`` (:func:`placement_matrix`) and
``scene_from_object = T(position) · Rz(yaw) · S(size)`` (:func:`object_matrix`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from stage.core.pose import rot_x, rot_z

if TYPE_CHECKING:
    from stage.core.config.scene import SceneObject, Terrain

#: The mesh kinds, in the order the renderer draws them; equal to the scene objects' ``kind`` values.
MESH_KINDS: tuple[str, ...] = ("box", "sphere", "cylinder")


@dataclass(frozen=True)
class Mesh:
    """Interleaved vertices (N × 6 float32: position, unit normal) and triangles (M × 3 uint32, CCW outside);
    optional texture coordinates (N × 2, v = 0 at the image's top row) and linear RGBA vertex colours (N × 4)."""

    vertices: np.ndarray
    indices: np.ndarray
    uvs: np.ndarray | None = None
    colors: np.ndarray | None = None

    def gpu_vertices(self) -> np.ndarray:
        """N × 12 float32 ``[position, normal, uv, rgba]`` (uv 0 and colour 1 where absent): the GPU layout."""
        n = len(self.vertices)
        uvs = np.zeros((n, 2), np.float32) if self.uvs is None else self.uvs
        colors = np.ones((n, 4), np.float32) if self.colors is None else self.colors
        return np.ascontiguousarray(np.hstack([self.vertices, uvs, colors]), dtype=np.float32)

    @property
    def positions(self) -> np.ndarray:
        """N × 3 positions (a view)."""
        return self.vertices[:, :3]

    @property
    def normals(self) -> np.ndarray:
        """N × 3 unit normals (a view)."""
        return self.vertices[:, 3:]


def _mesh(positions: np.ndarray, normals: np.ndarray, triangles: Sequence[Sequence[int]] | np.ndarray) -> Mesh:
    vertices = np.ascontiguousarray(np.hstack([positions, normals]), dtype=np.float32)
    indices = np.ascontiguousarray(np.asarray(triangles, dtype=np.uint32).reshape(-1, 3))
    return Mesh(vertices, indices)


def unit_box() -> Mesh:
    """The cube ``[-0.5, 0.5]^3``: four vertices per face so each face has its own flat normal."""
    positions, normals, triangles = [], [], []
    for axis in range(3):
        u, v = (axis + 1) % 3, (axis + 2) % 3  # (u, v, axis) is right-handed, so u × v = +axis
        for sign in (1.0, -1.0):
            base = len(positions)
            for cu, cv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                p = np.zeros(3)
                p[axis], p[u], p[v] = 0.5 * sign, 0.5 * cu * sign, 0.5 * cv  # flip u on −axis: stays CCW outside
                n = np.zeros(3)
                n[axis] = sign
                positions.append(p)
                normals.append(n)
            triangles += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
    return _mesh(np.array(positions), np.array(normals), triangles)


def uv_sphere(segments: int = 32, rings: int = 16) -> Mesh:
    """The unit sphere: ``segments`` around Z, ``rings`` from pole to pole (≥ 3 and ≥ 2), one vertex per pole."""
    if segments < 3 or rings < 2:
        raise ValueError(f"uv_sphere needs segments >= 3 and rings >= 2, got {segments}, {rings}")
    theta = np.pi * np.arange(1, rings) / rings  # polar angle of the inner rings, from +Z
    phi = 2.0 * np.pi * np.arange(segments) / segments
    st, ct = np.sin(theta)[:, None], np.cos(theta)[:, None]
    ring_points = np.stack([st * np.cos(phi), st * np.sin(phi), np.broadcast_to(ct, (rings - 1, segments))], -1)
    positions = np.vstack([[0.0, 0.0, 1.0], ring_points.reshape(-1, 3), [0.0, 0.0, -1.0]])
    bottom = len(positions) - 1

    def ring(r: int, s: int) -> int:
        return 1 + r * segments + s % segments

    triangles = [(0, ring(0, s), ring(0, s + 1)) for s in range(segments)]
    for r in range(rings - 2):
        for s in range(segments):
            a, b, c, d = ring(r, s), ring(r + 1, s), ring(r + 1, s + 1), ring(r, s + 1)
            triangles += [(a, b, c), (a, c, d)]
    triangles += [(bottom, ring(rings - 2, s + 1), ring(rings - 2, s)) for s in range(segments)]
    return _mesh(positions, positions.copy(), triangles)


def capped_cylinder(segments: int = 32) -> Mesh:
    """Radius 1 about Z, Z in [−0.5, 0.5]: smooth side normals, flat caps (a centre vertex and a fan each)."""
    if segments < 3:
        raise ValueError(f"capped_cylinder needs segments >= 3, got {segments}")
    phi = 2.0 * np.pi * np.arange(segments) / segments
    ring = np.stack([np.cos(phi), np.sin(phi), np.zeros(segments)], -1)
    up, down = np.array([0.0, 0.0, 0.5]), np.array([0.0, 0.0, -0.5])
    side = np.vstack([ring + down, ring + up])  # 0..n-1 bottom, n..2n-1 top
    side_normals = np.vstack([ring, ring])
    top_c, bottom_c = 2 * segments, 2 * segments + 1 + segments  # cap centres, each followed by its ring
    positions = np.vstack([side, up, ring + up, down, ring + down])
    cap_up, cap_down = np.tile([0.0, 0.0, 1.0], (segments + 1, 1)), np.tile([0.0, 0.0, -1.0], (segments + 1, 1))
    normals = np.vstack([side_normals, cap_up, cap_down])
    triangles = []
    for s in range(segments):
        t = (s + 1) % segments
        triangles += [(s, t, segments + t), (s, segments + t, segments + s)]
        triangles.append((top_c, top_c + 1 + s, top_c + 1 + t))
        triangles.append((bottom_c, bottom_c + 1 + t, bottom_c + 1 + s))
    return _mesh(positions, normals, triangles)


def unit_plane() -> Mesh:
    """The square ``[-0.5, 0.5]^2`` at Z = 0, facing +Z and (a second copy) −Z; u = x + 0.5, v = 0.5 − y."""
    corners = np.array([[-0.5, -0.5, 0.0], [0.5, -0.5, 0.0], [0.5, 0.5, 0.0], [-0.5, 0.5, 0.0]])
    positions = np.vstack([corners, corners])
    normals = np.vstack([np.tile([0.0, 0.0, 1.0], (4, 1)), np.tile([0.0, 0.0, -1.0], (4, 1))])
    uv = np.column_stack([corners[:, 0] + 0.5, 0.5 - corners[:, 1]])
    mesh = _mesh(positions, normals, [(0, 1, 2), (0, 2, 3), (4, 6, 5), (4, 7, 6)])
    return Mesh(mesh.vertices, mesh.indices, np.vstack([uv, uv]).astype(np.float32))


def value_noise(x: np.ndarray, y: np.ndarray, feature_m: float, seed: int, octaves: int = 5) -> np.ndarray:
    """Fractal value noise in about [−1, 1] at points (x, y) metres: octave k has wavelength ``feature_m / 2^k``
    and amplitude ``2^−k``; lattice values come from ``numpy.random.default_rng(seed)`` (deterministic)."""
    rng = np.random.default_rng(seed)
    total, norm = np.zeros(np.shape(x)), 0.0
    for k in range(octaves):
        cell = feature_m / 2**k
        gx, gy = x / cell, y / cell
        x0, y0 = np.floor(gx), np.floor(gy)
        fx, fy = gx - x0, gy - y0
        fx, fy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
        ix, iy = (x0 - x0.min()).astype(int), (y0 - y0.min()).astype(int)
        lattice = rng.uniform(-1.0, 1.0, (int(ix.max()) + 2, int(iy.max()) + 2))
        a, b = lattice[ix, iy], lattice[ix + 1, iy]
        c, d = lattice[ix, iy + 1], lattice[ix + 1, iy + 1]
        total += 2.0**-k * ((a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy)
        norm += 2.0**-k
    return total / norm


def terrain_mesh(obj: Terrain) -> Mesh:
    """The heightfield of a ``terrain`` object in its own axes (centred, Z up), coloured from ``color`` at the
    lowest to ``peak_color`` at the highest point; heights are ``height_m · (noise + 1) / 2`` scaled to 0 inside
    ``flat_radius_m`` and blended to full over the next ``flat_radius_m``."""
    n = obj.cells + 1
    xs = np.linspace(-obj.size_m[0] / 2, obj.size_m[0] / 2, n)
    ys = np.linspace(-obj.size_m[1] / 2, obj.size_m[1] / 2, n)
    x, y = np.meshgrid(xs, ys, indexing="xy")  # row j = y index, column i = x index
    h = obj.height_m * (value_noise(x, y, obj.feature_m, obj.seed) + 1.0) / 2.0
    if obj.flat_radius_m > 0.0:
        r = np.hypot(x, y) / obj.flat_radius_m
        t = np.clip(r - 1.0, 0.0, 1.0)
        h *= t * t * (3 - 2 * t)
    dx, dy = xs[1] - xs[0], ys[1] - ys[0]
    gy, gx = np.gradient(h, dy, dx)
    normals = np.stack([-gx, -gy, np.ones_like(h)], -1)
    normals /= np.linalg.norm(normals, axis=-1, keepdims=True)
    k = ((h - h.min()) / max(float(np.ptp(h)), 1e-9))[..., None]
    rgb = (1 - k) * np.asarray(obj.color) + k * np.asarray(obj.peak_color)
    colors = np.concatenate([rgb, np.ones_like(k)], -1).reshape(-1, 4).astype(np.float32)
    i = np.arange(n - 1)
    a = (i[:, None] * n + i[None, :]).ravel()  # row-major: vertex (j, i) = j * n + i
    tris = np.concatenate([np.stack([a, a + 1, a + n + 1], 1), np.stack([a, a + n + 1, a + n], 1)])
    positions = np.stack([x, y, h], -1).reshape(-1, 3)
    mesh = _mesh(positions, normals.reshape(-1, 3), tris)
    return Mesh(mesh.vertices, mesh.indices, None, colors)


def mesh_for_kind(kind: str) -> Mesh:
    """The unit mesh of a scene object ``kind`` (one of :data:`MESH_KINDS`)."""
    builders = {"box": unit_box, "sphere": uv_sphere, "cylinder": capped_cylinder, "plane": unit_plane}
    if kind not in builders:
        raise ValueError(f"unknown mesh kind {kind!r}; expected one of {MESH_KINDS}")
    return builders[kind]()


def object_size(obj: SceneObject) -> tuple[float, float, float]:
    """Scale (X, Y, Z) in metres that turns the unit mesh of ``obj.kind`` into ``obj``."""
    if obj.kind == "box":
        return tuple(float(v) for v in obj.size_m)  # type: ignore[return-value]
    if obj.kind == "sphere":
        return (obj.radius_m,) * 3
    if obj.kind == "cylinder":
        return (obj.radius_m, obj.radius_m, obj.height_m)
    if obj.kind == "plane":
        return (obj.size_m[0], obj.size_m[1], 1.0)
    if obj.kind == "gltf":
        return (obj.scale,) * 3
    if obj.kind in ("terrain", "array"):
        return (1.0, 1.0, 1.0)
    raise ValueError(f"unknown object kind {obj.kind!r}")


#: glTF axes (+Y up, +Z front) → object axes (+Z up, front towards −Y): +90° about X.
GLTF_Y_UP = rot_x(90.0)


def object_matrix(obj: SceneObject, time_s: float = 0.0) -> np.ndarray:
    """4×4 ``scene_from_object`` = ``T(position_m) · Rz(yaw_deg + spin · time_s) · R_kind · S(size)``.

    ``R_kind`` is ``Rx(tilt_deg)`` for planes, :data:`GLTF_Y_UP` for glTF models with ``y_up`` (applied after
    the scale, which is uniform there), identity otherwise.
    """
    m = np.eye(4)
    linear = np.diag(object_size(obj))
    if obj.kind == "plane":
        linear = rot_x(obj.tilt_deg) @ linear
    elif obj.kind == "gltf" and obj.y_up:
        linear = GLTF_Y_UP @ linear
    m[:3, :3] = rot_z(obj.yaw_deg + obj.spin_deg_per_s * time_s) @ linear
    m[:3, 3] = obj.position_m
    return m


def placement_matrix(offset_m: Sequence[float], yaw_deg: float, scale: float) -> np.ndarray:
    """4×4 ``world_from_scene``: ``p_stage = offset_m + scale · Rz(yaw_deg) · p_scene``."""
    m = np.eye(4)
    m[:3, :3] = float(scale) * rot_z(yaw_deg)
    m[:3, 3] = offset_m
    return m


def normal_matrix(m: np.ndarray) -> np.ndarray:
    """3×3 inverse-transpose of the linear part of ``m``: maps object normals to (unnormalised) world normals."""
    return np.linalg.inv(np.asarray(m, dtype=float)[:3, :3]).T


def sun_direction(azimuth_deg: float, elevation_deg: float, placement_yaw_deg: float = 0.0) -> np.ndarray:
    """Unit vector towards the sun in stage axes.

    ``azimuth_deg`` is counter-clockwise from scene +X seen from above (the direction the light comes FROM),
    ``elevation_deg`` above the horizon; the result is turned by the placement yaw about Z.
    """
    az, el = math.radians(azimuth_deg + placement_yaw_deg), math.radians(elevation_deg)
    return np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
