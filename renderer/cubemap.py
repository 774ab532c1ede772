"""Cube-map face cameras in OpenGL's cube-map convention (pure numpy, no GL).

The cube map's direction axes ARE the stage (world) axes: render face ``i`` with ``cube_face_views(p)[i]``
and :func:`cube_face_projection`, then ``texture(cube, d)`` with a stage-space direction ``d`` (e.g. from the
viewpoint ``p`` to an LED pixel) returns what a camera at ``p`` sees in direction ``d``. No flips are needed.

Why the odd "up" vectors: GL (spec §8.13, table 8.19, inherited from RenderMan's left-handed cube maps) picks
the face by the major axis of ``d = (rx, ry, rz)`` and the face texel by ``s = (sc/|ma| + 1)/2``,
``t = (tc/|ma| + 1)/2``:

======  ======  ======  ==============================  =========================
face    sc      tc      camera right (+s) / up (+t)      forward
======  ======  ======  ==============================  =========================
+X      −rz     −ry     −Z / −Y                          +X
−X      +rz     −ry     +Z / −Y                          −X
+Y      +rx     +rz     +X / +Z                          +Y
−Y      +rx     −rz     +X / −Z                          −Y
+Z      +rx     −ry     +X / −Y                          +Z
−Z      −rx     −ry     −X / −Y                          −Z
======  ======  ======  ==============================  =========================

A framebuffer with a cube face attached stores window pixel ``(x, y)`` (origin bottom-left) at texel
``(s, t) ∝ (x, y)``, so the face camera's right must be ``+s`` and its up ``+t``: the table's columns. Every one
of these camera frames is a proper rotation (right × up = −forward, as for any GL camera), so the rendered
faces are not mirrored and the projection is the ordinary symmetric 90° one.

GL's table was made for a Y-up world, so in the Z-up stage the faces look turned when viewed as pictures
(read back with row 0 = top, the tops of the ±X and ±Z faces point to −Y, those of ±Y to ±Z). That is expected
and harmless: always sample with directions, never reason about face images.

Face ``i`` is the GL target ``GL_TEXTURE_CUBE_MAP_POSITIVE_X + i`` in the order of :data:`CUBE_FACES`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from stage.core.geometry.projection import perspective_from_fov

#: Face names in GL target order (``GL_TEXTURE_CUBE_MAP_POSITIVE_X + index``).
CUBE_FACES: tuple[str, ...] = ("+X", "-X", "+Y", "-Y", "+Z", "-Z")

#: Per face: (forward, up) unit vectors in stage/cube axes; right = forward × up (see :func:`face_axes`).
_FORWARD_UP: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "+X": ((1.0, 0.0, 0.0), (0.0, -1.0, 0.0)),
    "-X": ((-1.0, 0.0, 0.0), (0.0, -1.0, 0.0)),
    "+Y": ((0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
    "-Y": ((0.0, -1.0, 0.0), (0.0, 0.0, -1.0)),
    "+Z": ((0.0, 0.0, 1.0), (0.0, -1.0, 0.0)),
    "-Z": ((0.0, 0.0, -1.0), (0.0, -1.0, 0.0)),
}


def face_axes(face: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(right, up, forward)`` unit vectors, in stage axes, of the camera rendering cube face ``face``."""
    forward, up = (np.array(v) for v in _FORWARD_UP[face])
    right = np.cross(forward, up)
    return right, up, forward


def cube_face_views(position_m: Sequence[float]) -> list[tuple[str, np.ndarray]]:
    """``[(face name, camera_from_world 4×4), ...]`` for the six faces in GL target order, seen from ``position_m``."""
    views = []
    p = np.asarray(position_m, dtype=float).reshape(3)
    for face in CUBE_FACES:
        right, up, forward = face_axes(face)
        rotation = np.stack([right, up, -forward])  # rows: camera axes in world coordinates
        view = np.eye(4)
        view[:3, :3] = rotation
        view[:3, 3] = -rotation @ p
        views.append((face, view))
    return views


def cube_face_projection(near_m: float, far_m: float) -> np.ndarray:
    """The 90°, aspect-1 OpenGL perspective (``clip_from_camera``) shared by all six faces."""
    return perspective_from_fov(90.0, 1.0, near_m, far_m)


def cube_map_lookup(direction: Sequence[float]) -> tuple[int, float, float]:
    """GL's face selection: ``(face index, s, t)`` with ``s, t`` in [0, 1] for a non-zero ``direction``.

    Ties between equal major components go X before Y before Z (GL leaves ties implementation-defined).
    """
    r = np.asarray(direction, dtype=float).reshape(3)
    axis = int(np.argmax(np.abs(r)))
    ma = float(r[axis])
    if ma == 0.0:
        raise ValueError("direction must be non-zero")
    positive = ma > 0.0
    rx, ry, rz = (float(v) for v in r)
    sc, tc = {
        (0, True): (-rz, -ry),
        (0, False): (rz, -ry),
        (1, True): (rx, rz),
        (1, False): (rx, -rz),
        (2, True): (rx, -ry),
        (2, False): (-rx, -ry),
    }[(axis, positive)]
    face = 2 * axis + (0 if positive else 1)
    return face, 0.5 * (sc / abs(ma) + 1.0), 0.5 * (tc / abs(ma) + 1.0)
