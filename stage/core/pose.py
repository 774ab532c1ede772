"""Camera pose in stage space and its matrices (pure numpy, no GL).

Conventions (docs/coordinates.md): stage metres, right-handed, X right, Y forward, Z up.
Rotation ``[pan, tilt, roll]`` in degrees, intrinsic Z-X-Y, right-hand rule:
``R = Rz(pan) @ Rx(tilt) @ Ry(roll)`` maps camera axes to stage axes. In the camera's own
("stage-style") axes the camera looks along +Y with +Z up. Matrices are for column vectors,
``p_stage = M @ p_camera``.

OpenGL camera axes (used by the renderer and the wire format): +X right, +Y up, looking down −Z.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

GL_FROM_STAGE_CAMERA_AXES = np.array(
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]
)
"""Maps a vector in stage-style camera axes (X right, Y forward, Z up) to OpenGL camera axes."""
STAGE_FROM_GL_CAMERA_AXES = GL_FROM_STAGE_CAMERA_AXES.T


def rot_x(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_y(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rot_z(deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def rotation_from_ptr(pan_deg: float, tilt_deg: float, roll_deg: float) -> np.ndarray:
    """Camera-to-stage rotation ``Rz(pan) @ Rx(tilt) @ Ry(roll)`` (3×3), written out in closed form (the product of
    :func:`rot_z`, :func:`rot_x` and :func:`rot_y`; a test checks they agree)."""
    p, t, r = math.radians(pan_deg), math.radians(tilt_deg), math.radians(roll_deg)
    cp, sp, ct, st, cr, sr = math.cos(p), math.sin(p), math.cos(t), math.sin(t), math.cos(r), math.sin(r)
    return np.array(
        [
            [cp * cr - sp * st * sr, -sp * ct, cp * sr + sp * st * cr],
            [sp * cr + cp * st * sr, cp * ct, sp * sr - cp * st * cr],
            [-ct * sr, st, ct * cr],
        ]
    )


def ptr_from_rotation(r: np.ndarray) -> tuple[float, float, float]:
    """Inverse of :func:`rotation_from_ptr`: ``(pan, tilt, roll)`` degrees, tilt in [−90, 90].

    At gimbal lock (tilt = ±90°) pan and roll are not unique; roll is set to 0 there.
    """
    r = np.asarray(r, dtype=float)
    # R = Rz(p) Rx(t) Ry(r): R[2,1] = sin t; R[0,1] = -sin p cos t; R[1,1] = cos p cos t;
    # R[2,0] = -cos t sin r; R[2,2] = cos t cos r.
    sin_t = float(np.clip(r[2, 1], -1.0, 1.0))
    tilt = math.degrees(math.asin(sin_t))
    if abs(sin_t) < 1.0 - 1e-12:
        pan = math.degrees(math.atan2(-r[0, 1], r[1, 1]))
        roll = math.degrees(math.atan2(-r[2, 0], r[2, 2]))
    else:
        # Gimbal lock: only pan ± roll is defined; put it all in pan.
        pan = math.degrees(math.atan2(r[1, 0], r[0, 0]))
        roll = 0.0
    return pan, tilt, roll


@dataclass(frozen=True)
class Pose:
    """A camera pose in stage space: position in metres, rotation ``[pan, tilt, roll]`` in degrees."""

    position_m: tuple[float, float, float]
    rotation_deg: tuple[float, float, float]

    def __post_init__(self) -> None:
        values = (*self.position_m, *self.rotation_deg)
        if len(self.position_m) != 3 or len(self.rotation_deg) != 3:
            raise ValueError("position_m and rotation_deg need three values each")
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"pose has a non-finite value: {values}")

    @property
    def rotation(self) -> np.ndarray:
        """Camera-to-stage rotation (3×3), stage-style camera axes."""
        return rotation_from_ptr(*self.rotation_deg)

    def stage_from_camera(self) -> np.ndarray:
        """4×4 camera-to-stage transform, stage-style camera axes (camera looks along +Y, +Z up)."""
        m = np.eye(4)
        m[:3, :3] = self.rotation
        m[:3, 3] = self.position_m
        return m

    def world_from_camera(self) -> np.ndarray:
        """4×4 camera-to-stage transform in OpenGL camera axes (+X right, +Y up, looking down −Z)."""
        m = np.eye(4)
        m[:3, :3] = self.rotation @ STAGE_FROM_GL_CAMERA_AXES
        m[:3, 3] = self.position_m
        return m

    def view_matrix(self) -> np.ndarray:
        """OpenGL view matrix ``camera_from_world`` (inverse of :meth:`world_from_camera`)."""
        return invert_rigid(self.world_from_camera())

    @property
    def forward(self) -> np.ndarray:
        """Unit optical axis in stage space."""
        return self.rotation[:, 1].copy()

    @classmethod
    def from_stage_from_camera(cls, m: np.ndarray) -> Pose:
        """Pose from a 4×4 camera-to-stage transform in stage-style camera axes."""
        m = np.asarray(m, dtype=float)
        return cls(tuple(float(v) for v in m[:3, 3]), ptr_from_rotation(m[:3, :3]))

    @classmethod
    def from_world_from_camera(cls, m: np.ndarray) -> Pose:
        """Pose from a 4×4 camera-to-stage transform in OpenGL camera axes."""
        m = np.asarray(m, dtype=float)
        r = m[:3, :3] @ GL_FROM_STAGE_CAMERA_AXES
        return cls(tuple(float(v) for v in m[:3, 3]), ptr_from_rotation(r))


def world_from_camera_rows(
    position_m: tuple[float, float, float], rotation_deg: tuple[float, float, float]
) -> list[list[float]]:
    """:meth:`Pose.world_from_camera` as nested lists, in plain floats: the tracking daemon's hot path, where a
    handful of numpy 3×3 products would cost more than the whole message."""
    p, t, r = (math.radians(a) for a in rotation_deg)
    cp, sp, ct, st, cr, sr = math.cos(p), math.sin(p), math.cos(t), math.sin(t), math.cos(r), math.sin(r)
    # Columns of R = Rz(pan) Rx(tilt) Ry(roll): right (c0), forward (c1), up (c2). GL axes: X = c0, Y = c2, Z = -c1.
    c0 = (cp * cr - sp * st * sr, sp * cr + cp * st * sr, -ct * sr)
    c1 = (-sp * ct, cp * ct, st)
    c2 = (cp * sr + sp * st * cr, sp * sr - cp * st * cr, ct * cr)
    x, y, z = position_m
    return [
        [c0[0], c2[0], -c1[0], x],
        [c0[1], c2[1], -c1[1], y],
        [c0[2], c2[2], -c1[2], z],
        [0.0, 0.0, 0.0, 1.0],
    ]


def invert_rigid(m: np.ndarray) -> np.ndarray:
    """Inverse of a 4×4 rotation + translation transform."""
    out = np.eye(4)
    r = m[:3, :3]
    out[:3, :3] = r.T
    out[:3, 3] = -r.T @ m[:3, 3]
    return out


def wrap_deg(angle_deg: float) -> float:
    """``angle_deg`` folded into the half-open range [−180°, 180°): 180 → −180, −180 → −180, 540 → −180."""
    return (angle_deg + 180.0) % 360.0 - 180.0


def unwrap_deg(previous: float, current: float) -> float:
    """``current`` shifted by a multiple of 360° to lie in [previous − 180°, previous + 180°).

    The one angle unwrap of the project (filters, latency compensation, exports). Tie rule: a step of exactly
    ±180° resolves to −180° (the same half-open range as :func:`wrap_deg`), so ``unwrap_deg(0, 180) == -180``
    and ``unwrap_deg(0, -180) == -180``, whatever the previous history.
    """
    return previous + wrap_deg(current - previous)
