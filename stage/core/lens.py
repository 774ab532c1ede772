"""Lens math: field of view, entrance pupil, and encoder → optics (pure numpy, no GL).

Conventions (docs/coordinates.md):

- Focal lengths and sensor sizes in millimetres; the sensor size is the *active* area
  ``(width_mm, height_mm)``. Fields of view are full angles in degrees.
- The entrance pupil lies on the optical axis, ``entrance_pupil_m`` metres in front of the
  tracked point (forward positive, behind negative). It is the projection centre the renderer
  must use, not the tracked point.
- A :class:`~stage.core.config.cameras.LensTable` maps raw encoder values to focal length, entrance
  pupil and focus distance by piecewise-linear interpolation, clamped at the ends of each table.

Missing encoder values (``None`` or not finite):

- zoom missing → the **first zoom point** (lowest encoder value) is used. A camera needs a focal
  length to be drawn at all; the first point is deterministic and, for most calibrations, the
  widest setting, so the inner frustum errs on the large side rather than vanishing.
- focus missing, or a table without focus points → ``focus_m is None`` (unknown). Focus is only
  informational (depth of field in the scene); guessing it would be worse than saying nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stage.core.config.cameras import FixedLens, LensTable
from stage.core.pose import Pose

__all__ = [
    "LensSolver",
    "LensState",
    "entrance_pupil_position",
    "focal_length_from_fov",
    "fov_deg",
    "solve_lens",
]


def fov_deg(focal_length_mm: float, sensor_mm: tuple[float, float]) -> tuple[float, float]:
    """Full ``(horizontal, vertical)`` field of view in degrees of a rectilinear lens.

    ``fov = 2·atan(size / (2·f))`` per axis; e.g. 35 mm on a 36 × 24 mm sensor → (54.43°, 37.85°).
    """
    if focal_length_mm <= 0.0:
        raise ValueError(f"focal_length_mm must be positive, got {focal_length_mm}")
    width_mm, height_mm = sensor_mm
    return (
        math.degrees(2.0 * math.atan(width_mm / (2.0 * focal_length_mm))),
        math.degrees(2.0 * math.atan(height_mm / (2.0 * focal_length_mm))),
    )


def focal_length_from_fov(fov_deg: float, sensor_size_mm: float) -> float:
    """Focal length in mm giving the full angle ``fov_deg`` across ``sensor_size_mm`` (one axis).

    Inverse of :func:`fov_deg` for that axis: ``f = size / (2·tan(fov/2))``; ``fov`` in (0, 180).
    """
    if not 0.0 < fov_deg < 180.0:
        raise ValueError(f"fov_deg must be in (0, 180), got {fov_deg}")
    return sensor_size_mm / (2.0 * math.tan(math.radians(fov_deg) / 2.0))


def entrance_pupil_position(pose: Pose, entrance_pupil_m: float) -> np.ndarray:
    """Stage position (metres, shape (3,)) of the entrance pupil: the tracked position moved
    ``entrance_pupil_m`` along the optical axis :attr:`Pose.forward` (forward positive)."""
    return np.asarray(pose.position_m, dtype=float) + entrance_pupil_m * pose.forward


@dataclass(frozen=True)
class LensState:
    """The lens at one instant."""

    focal_length_mm: float
    """Focal length, millimetres."""
    focus_m: float | None
    """Focus distance in metres, or ``None`` when unknown."""
    entrance_pupil_m: float
    """Entrance-pupil offset along the optical axis from the tracked point, metres (forward positive)."""


def _present(encoder: float | None) -> bool:
    return encoder is not None and math.isfinite(encoder)


class LensSolver:
    """Encoder values → :class:`LensState` for one lens model; tables are turned into arrays once.

    Call it as ``solver(zoom_encoder, focus_encoder)``; it is cheap enough for every tracking
    sample (a few microseconds). Fixed lenses ignore the encoders.
    """

    def __init__(self, lens_model: FixedLens | LensTable) -> None:
        self._fixed: LensState | None = None
        if isinstance(lens_model, FixedLens):
            self._fixed = LensState(
                focal_length_mm=float(lens_model.focal_length_mm),
                focus_m=None if lens_model.focus_m is None else float(lens_model.focus_m),
                entrance_pupil_m=float(lens_model.entrance_pupil_m),
            )
            return
        if not isinstance(lens_model, LensTable):
            raise TypeError(f"unsupported lens model {type(lens_model).__name__}")
        self._zoom_encoder = np.array([p.encoder for p in lens_model.zoom], dtype=float)
        self._focal_length_mm = np.array([p.focal_length_mm for p in lens_model.zoom], dtype=float)
        self._entrance_pupil_m = np.array([p.entrance_pupil_m for p in lens_model.zoom], dtype=float)
        self._focus_encoder = np.array([p.encoder for p in lens_model.focus], dtype=float)
        self._focus_m = np.array([p.focus_m for p in lens_model.focus], dtype=float)

    def __call__(self, zoom_encoder: float | None = None, focus_encoder: float | None = None) -> LensState:
        """The lens state at these raw encoder values (see the module doc for missing values)."""
        if self._fixed is not None:
            return self._fixed
        if _present(zoom_encoder):
            focal = float(np.interp(zoom_encoder, self._zoom_encoder, self._focal_length_mm))
            pupil = float(np.interp(zoom_encoder, self._zoom_encoder, self._entrance_pupil_m))
        else:
            focal, pupil = float(self._focal_length_mm[0]), float(self._entrance_pupil_m[0])
        focus: float | None = None
        if self._focus_m.size and _present(focus_encoder):
            focus = float(np.interp(focus_encoder, self._focus_encoder, self._focus_m))
        return LensState(focal_length_mm=focal, focus_m=focus, entrance_pupil_m=pupil)


def solve_lens(
    lens_model: FixedLens | LensTable, zoom_encoder: float | None = None, focus_encoder: float | None = None
) -> LensState:
    """One-off :class:`LensSolver` call; build a ``LensSolver`` once for repeated use."""
    return LensSolver(lens_model)(zoom_encoder, focus_encoder)
