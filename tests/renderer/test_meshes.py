"""Unit meshes and placement matrices (pure numpy, no GL)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from renderer.meshes import (
    MESH_KINDS,
    Mesh,
    capped_cylinder,
    mesh_for_kind,
    normal_matrix,
    object_matrix,
    placement_matrix,
    sun_direction,
    unit_box,
    uv_sphere,
)
from stage.core.config.scene import Box, Cylinder, Sphere


def signed_volume(mesh: Mesh) -> float:
    """Divergence theorem: positive for a closed mesh wound counter-clockwise seen from outside."""
    tri = mesh.positions.astype(float)[mesh.indices]
    return float(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6.0)


def face_normals(mesh: Mesh) -> np.ndarray:
    tri = mesh.positions.astype(float)[mesh.indices]
    return np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])


@pytest.mark.parametrize("kind", MESH_KINDS)
def test_layout_normals_and_winding(kind: str) -> None:
    mesh = mesh_for_kind(kind)
    assert mesh.vertices.dtype == np.float32 and mesh.vertices.shape[1] == 6 and mesh.vertices.flags.c_contiguous
    assert mesh.indices.dtype == np.uint32 and mesh.indices.shape[1] == 3
    assert mesh.indices.max() < len(mesh.vertices)
    assert np.allclose(np.linalg.norm(mesh.normals, axis=1), 1.0, atol=1e-6)
    assert signed_volume(mesh) > 0.0
    # Every triangle is non-degenerate and faces the way its vertex normals point (outwards).
    fn = face_normals(mesh)
    assert (np.linalg.norm(fn, axis=1) > 1e-6).all()
    assert (np.einsum("ij,ij->i", fn, mesh.normals[mesh.indices].sum(axis=1)) > 0.0).all()


@pytest.mark.parametrize("kind", MESH_KINDS)
def test_closed_by_position(kind: str) -> None:
    """Each edge (vertices merged by position) is used once in each direction: closed and consistently wound."""
    mesh = mesh_for_kind(kind)
    keys = [tuple(np.round(p, 5)) for p in mesh.positions.astype(float)]
    edges: Counter[tuple[tuple[float, ...], tuple[float, ...]]] = Counter()
    for a, b, c in mesh.indices:
        for u, v in ((a, b), (b, c), (c, a)):
            edges[(keys[u], keys[v])] += 1
    assert all(n == 1 for n in edges.values())
    assert all(edges[(v, u)] == 1 for u, v in edges)


def test_volumes_and_bounds() -> None:
    box, sphere, cylinder = unit_box(), uv_sphere(64, 32), capped_cylinder(64)
    assert signed_volume(box) == pytest.approx(1.0)
    assert np.allclose(box.positions.min(0), -0.5) and np.allclose(box.positions.max(0), 0.5)
    assert len(box.vertices) == 24 and len(box.indices) == 12
    assert signed_volume(sphere) == pytest.approx(4.0 / 3.0 * math.pi, rel=0.01)
    assert np.allclose(sphere.positions.min(0), -1.0) and np.allclose(sphere.positions.max(0), 1.0)
    assert np.allclose(np.linalg.norm(sphere.positions, axis=1), 1.0, atol=1e-6)
    assert signed_volume(cylinder) == pytest.approx(math.pi, rel=0.01)
    assert np.allclose(cylinder.positions.min(0), [-1.0, -1.0, -0.5])
    assert np.allclose(cylinder.positions.max(0), [1.0, 1.0, 0.5])


def test_deterministic_and_validated() -> None:
    for kind in MESH_KINDS:
        a, b = mesh_for_kind(kind), mesh_for_kind(kind)
        assert a.vertices.tobytes() == b.vertices.tobytes() and a.indices.tobytes() == b.indices.tobytes()
    with pytest.raises(ValueError):
        mesh_for_kind("cone")
    with pytest.raises(ValueError):
        uv_sphere(2, 8)


def test_object_matrices_scale_unit_meshes_to_objects() -> None:
    box = Box(kind="box", position_m=(1.0, 2.0, 3.0), size_m=(2.0, 4.0, 6.0), yaw_deg=90.0)
    m = object_matrix(box)
    # Yaw 90: object +X (half size 1) goes to scene +Y.
    assert np.allclose(m @ [0.5, 0.0, 0.0, 1.0], [1.0, 3.0, 3.0, 1.0])
    assert np.allclose(m @ [0.0, 0.0, 0.5, 1.0], [1.0, 2.0, 6.0, 1.0])
    cyl = object_matrix(Cylinder(kind="cylinder", radius_m=0.5, height_m=4.0))
    corners = (cyl[:3, :3] @ capped_cylinder().positions.T.astype(float)).T
    assert np.allclose(corners.min(0), [-0.5, -0.5, -2.0]) and np.allclose(corners.max(0), [0.5, 0.5, 2.0])
    sph = object_matrix(Sphere(kind="sphere", radius_m=2.0, position_m=(0.0, 5.0, 0.0)))
    assert np.allclose(sph @ [0.0, 0.0, 1.0, 1.0], [0.0, 5.0, 2.0, 1.0])
    # Normals of a non-uniformly scaled box stay perpendicular to its faces.
    n = normal_matrix(m) @ [1.0, 0.0, 0.0]
    assert np.allclose(n / np.linalg.norm(n), [0.0, 1.0, 0.0])


def test_placement_and_sun() -> None:
    p = placement_matrix((1.0, 2.0, 0.5), 90.0, 2.0)
    assert np.allclose(p @ [1.0, 0.0, 0.0, 1.0], [1.0, 4.0, 0.5, 1.0])
    assert np.allclose(sun_direction(0.0, 0.0), [1.0, 0.0, 0.0])
    assert np.allclose(sun_direction(90.0, 0.0), [0.0, 1.0, 0.0])
    assert np.allclose(sun_direction(0.0, 90.0), [0.0, 0.0, 1.0])
    assert np.allclose(sun_direction(0.0, 30.0, placement_yaw_deg=90.0), [0.0, math.cos(math.pi / 6), 0.5])
