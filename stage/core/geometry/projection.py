"""OpenGL perspective projection matrices in plain numpy (no GL).

Conventions (docs/coordinates.md): matrices act on column vectors, ``p_clip = P @ p_camera``,
in OpenGL camera axes (+X right, +Y up, looking down −Z). Clip space is OpenGL's: after the
perspective divide x, y, z are in [−1, 1], z = −1 at the near plane and +1 at the far plane.
``near_m`` and ``far_m`` are positive distances in front of the camera.

Overscan enlarges the frame: the tangent of each half-angle (equivalently the frame size at any
distance) is multiplied by ``1 + overscan_pct / 100``. It does not change the aspect ratio.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "frustum",
    "lens_frustum_extents",
    "perspective_from_fov",
    "perspective_from_lens",
]


def frustum(l: ArrayLike, r: ArrayLike, b: ArrayLike, t: ArrayLike, n: ArrayLike, f: ArrayLike) -> np.ndarray:  # noqa: E741
    """The ``glFrustum`` matrix for extents ``l, r, b, t`` on the near plane at distance ``n``, far ``f``.

    ::

        [2n/(r−l)   0        (r+l)/(r−l)   0          ]
        [0          2n/(t−b) (t+b)/(t−b)   0          ]
        [0          0        −(f+n)/(f−n)  −2fn/(f−n) ]
        [0          0        −1            0          ]

    Arguments broadcast: array inputs of shape ``S`` give an array of shape ``S + (4, 4)``.
    """
    l, r, b, t, n, f = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (l, r, b, t, n, f)))  # noqa: E741
    m = np.zeros(l.shape + (4, 4))
    m[..., 0, 0] = 2.0 * n / (r - l)
    m[..., 0, 2] = (r + l) / (r - l)
    m[..., 1, 1] = 2.0 * n / (t - b)
    m[..., 1, 2] = (t + b) / (t - b)
    m[..., 2, 2] = -(f + n) / (f - n)
    m[..., 2, 3] = -2.0 * f * n / (f - n)
    m[..., 3, 2] = -1.0
    return m


def perspective_from_fov(
    fov_y_deg: float, aspect: float, near_m: float, far_m: float, overscan_pct: float = 0.0
) -> np.ndarray:
    """Symmetric perspective (``gluPerspective``) from the full vertical FOV and ``aspect`` = width/height."""
    if not 0.0 < fov_y_deg < 180.0:
        raise ValueError(f"fov_y_deg must be in (0, 180), got {fov_y_deg}")
    tan_v = math.tan(math.radians(fov_y_deg) / 2.0) * (1.0 + overscan_pct / 100.0)
    t = near_m * tan_v
    r = t * aspect
    return frustum(-r, r, -t, t, near_m, far_m)


def lens_frustum_extents(
    focal_length_mm: float, sensor_mm: tuple[float, float], near_m: float, overscan_pct: float = 0.0
) -> tuple[float, float, float, float]:
    """Symmetric extents ``(l, r, b, t)`` in metres on the near plane of a lens with centred optics.

    ``r = near · (sensor_width / 2) / f · (1 + overscan/100)``, ``t`` likewise with the height.
    """
    if focal_length_mm <= 0.0:
        raise ValueError(f"focal_length_mm must be positive, got {focal_length_mm}")
    scale = near_m / focal_length_mm * (1.0 + overscan_pct / 100.0)
    r = 0.5 * sensor_mm[0] * scale
    t = 0.5 * sensor_mm[1] * scale
    return -r, r, -t, t


def perspective_from_lens(
    focal_length_mm: float,
    sensor_mm: tuple[float, float],
    near_m: float,
    far_m: float,
    overscan_pct: float = 0.0,
) -> np.ndarray:
    """Perspective of a camera with ``focal_length_mm`` on an active sensor ``(width_mm, height_mm)``.

    ``P[0,0] = 2f/w``, ``P[1,1] = 2f/h`` (divided by ``1 + overscan_pct/100``); e.g. 35 mm on
    36 × 24 mm gives 1.9444 and 2.9167.
    """
    return frustum(*lens_frustum_extents(focal_length_mm, sensor_mm, near_m, overscan_pct), near_m, far_m)
