"""Small rotation helpers in the stage convention (private; to be pointed at ``stage.pose`` later).

``R = Rz(pan) @ Rx(tilt) @ Ry(roll)`` maps camera axes to stage axes (degrees, right-hand rule).
4×4 transforms are for column vectors: ``p_parent = M @ p_child``.
"""

from __future__ import annotations

import math

import numpy as np


def rotation_from_ptr(pan_deg: float, tilt_deg: float, roll_deg: float) -> np.ndarray:
    """3×3 rotation ``Rz(pan) @ Rx(tilt) @ Ry(roll)``, written out in closed form."""
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
    """Inverse of :func:`rotation_from_ptr`: ``(pan, tilt, roll)`` in degrees, tilt in [−90, 90].

    At gimbal lock (tilt = ±90°) only pan ± roll is defined; roll is reported as 0 there.
    """
    sin_t = min(1.0, max(-1.0, float(r[2, 1])))
    tilt = math.degrees(math.asin(sin_t))
    if abs(sin_t) < 1.0 - 1e-9:
        pan = math.degrees(math.atan2(-r[0, 1], r[1, 1]))
        roll = math.degrees(math.atan2(-r[2, 0], r[2, 2]))
    else:
        pan = math.degrees(math.atan2(r[1, 0], r[0, 0]))
        roll = 0.0
    return pan, tilt, roll


def transform_matrix(
    translation: tuple[float, float, float],
    rotation_deg: tuple[float, float, float],
    scale: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> np.ndarray:
    """4×4 ``T(translation) @ R(pan, tilt, roll) @ S(scale)``."""
    m = np.eye(4)
    m[:3, :3] = rotation_from_ptr(*rotation_deg) * np.asarray(scale, dtype=float)  # scales columns = R @ S
    m[:3, 3] = translation
    return m


def nearest_rotation(m: np.ndarray) -> np.ndarray:
    """Orthonormal factor of the polar decomposition of a 3×3 matrix (exactly R for R @ S, S > 0)."""
    u, _, vt = np.linalg.svd(m)
    q = u @ vt
    if np.linalg.det(q) < 0.0:  # guard against a reflection sneaking in
        u[:, -1] = -u[:, -1]
        q = u @ vt
    return q
