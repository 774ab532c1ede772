"""Transform helpers for OpenTrackIO ``transforms`` (private), on top of :mod:`stage.core.pose`.

``R = Rz(pan) @ Rx(tilt) @ Ry(roll)`` maps camera axes to stage axes (degrees, right-hand rule).
4×4 transforms are for column vectors: ``p_parent = M @ p_child``.
"""

from __future__ import annotations

import numpy as np

from stage.core.pose import ptr_from_rotation, rotation_from_ptr

__all__ = ["nearest_rotation", "ptr_from_rotation", "rotation_from_ptr", "transform_matrix"]


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
