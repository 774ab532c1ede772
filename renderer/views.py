"""Camera views for a frame (pure numpy): where each inner frustum is rendered from and how walls sample it.

The inner frustum is rendered from the camera's **entrance pupil** (the true projection centre: the tracked point
moved ``entrance_pupil_m`` along the optical axis) with the lens's field of view enlarged by the overscan. Each LED
pixel then samples it by projecting its stage position with the same ``clip_from_world`` matrix, so the render
target's resolution only sets sampling density: its aspect may differ from the sensor's without distorting
anything (choose it close to the sensor's for even sharpness).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stage.core.geometry.projection import perspective_from_lens
from stage.core.lens import entrance_pupil_position
from stage.core.pose import Pose

NEAR_M = 0.05
"""Near plane of every camera render, metres (LED walls are never this close)."""
FAR_M = 5000.0
"""Far plane, metres."""


@dataclass(frozen=True)
class CameraState:
    """What the renderer needs to know about one tracked camera at one instant."""

    camera: str
    position_m: tuple[float, float, float]
    rotation_deg: tuple[float, float, float]
    focal_length_mm: float
    sensor_mm: tuple[float, float]
    entrance_pupil_m: float = 0.0
    priority: int = 0
    t_sample: float = 0.0
    stale: bool = False

    @property
    def pose(self) -> Pose:
        return Pose(self.position_m, self.rotation_deg)


@dataclass(frozen=True)
class CameraView:
    """Matrices of one camera for one frame (OpenGL conventions, column vectors)."""

    camera: str
    eye_m: np.ndarray
    """Entrance pupil in stage metres."""
    world_from_camera: np.ndarray
    """4×4, OpenGL camera axes, translation = entrance pupil."""
    view: np.ndarray
    """4×4 ``camera_from_world``."""
    projection: np.ndarray
    """4×4 clip matrix of the lens with overscan (the inner frustum render)."""
    projection_lens: np.ndarray
    """4×4 clip matrix of the lens alone (what the camera records)."""
    priority: int

    @property
    def clip_from_world(self) -> np.ndarray:
        return self.projection @ self.view

    @property
    def clip_from_world_lens(self) -> np.ndarray:
        return self.projection_lens @ self.view


def camera_view(state: CameraState, overscan_pct: float) -> CameraView:
    pose = state.pose
    eye = entrance_pupil_position(pose, state.entrance_pupil_m)
    world_from_camera = pose.world_from_camera()
    world_from_camera[:3, 3] = eye
    view = np.linalg.inv(world_from_camera)
    return CameraView(
        camera=state.camera,
        eye_m=eye,
        world_from_camera=world_from_camera,
        view=view,
        projection=perspective_from_lens(state.focal_length_mm, state.sensor_mm, NEAR_M, FAR_M, overscan_pct),
        projection_lens=perspective_from_lens(state.focal_length_mm, state.sensor_mm, NEAR_M, FAR_M, 0.0),
        priority=state.priority,
    )


def camera_resolution_px(sensor_mm: tuple[float, float], width_px: int) -> tuple[int, int]:
    """Image size with the sensor's aspect for a given width."""
    return width_px, max(1, round(width_px * sensor_mm[1] / sensor_mm[0]))
