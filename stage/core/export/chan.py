"""Nuke ``.chan`` camera files: one line per frame, ``frame tx ty tz rx ry rz vfov``.

Nuke's 3D space is Y-up, right-handed, metres here; a camera at zero rotation looks down −Z with +Y up and +X
right (the OpenGL camera axes the wire format already uses), and the Camera node's default rotation order is ZXY,
applied left to right: rotate about Z first, then X, then Y, so (column vectors)
``nuke_from_camera = Ry(ry) · Rx(rx) · Rz(rz)``. Rotations are degrees; ``vfov`` is the vertical angle of view in
degrees (what Nuke's chan import turns back into a focal length with the camera's vertical aperture).

The axis change maps stage X (right) to Nuke X, stage Z (up) to Nuke Y, and stage Y (forward) to Nuke −Z, so a
stage camera at zero rotation is a Nuke camera at zero rotation. Then ``nuke_from_camera = N · stage_from_glcam``
with :data:`NUKE_FROM_STAGE` ``N``; it works out to ``rx = tilt, ry = pan, rz = −roll``
(:func:`nuke_rotation_deg`), but the export goes through the matrices so any pose converts exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from stage.core.pose import unwrap_deg
from stage.core.wire.pose import PoseMessage

NUKE_FROM_STAGE = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
"""Stage (X right, Y forward, Z up) → Nuke (X right, Y up, Z towards the viewer): ``(x, y, z) → (x, z, −y)``."""


@dataclass(frozen=True)
class NukeCamera:
    """One frame of a Nuke camera: translate (metres), rotate ``(rx, ry, rz)`` degrees (ZXY), vertical FOV."""

    translate: tuple[float, float, float]
    rotate_deg: tuple[float, float, float]
    vfov_deg: float


def euler_zxy_from_matrix(m: np.ndarray) -> tuple[float, float, float]:
    """``(rx, ry, rz)`` degrees with ``m = Ry(ry) · Rx(rx) · Rz(rz)``; rx in [−90, 90].

    ``m[1,2] = −sin rx``, ``m[0,2] = sin ry cos rx``, ``m[2,2] = cos ry cos rx``, ``m[1,0] = cos rx sin rz``,
    ``m[1,1] = cos rx cos rz``. At gimbal lock (rx = ±90°) only ry ∓ rz is defined; rz is set to 0 there.
    """
    m = np.asarray(m, dtype=float)
    sin_x = float(np.clip(-m[1, 2], -1.0, 1.0))
    rx = math.degrees(math.asin(sin_x))
    if abs(sin_x) < 1.0 - 1e-12:
        ry = math.degrees(math.atan2(m[0, 2], m[2, 2]))
        rz = math.degrees(math.atan2(m[1, 0], m[1, 1]))
    else:
        ry = math.degrees(math.atan2(-m[2, 0], m[0, 0]))
        rz = 0.0
    return rx, ry, rz


def nuke_rotation_deg(world_from_camera: np.ndarray) -> tuple[float, float, float]:
    """Nuke ``(rx, ry, rz)`` of a camera from its stage ``world_from_camera`` (OpenGL camera axes).

    For ``R = Rz(pan)·Rx(tilt)·Ry(roll)``: ``N·Rz(a)·Nᵀ = Ry(a)``, ``N·Rx(a)·Nᵀ = Rx(a)``, ``N·Ry(a)·Nᵀ = Rz(−a)``
    and the GL camera axes are ``Nᵀ`` of the stage-style ones, so the result is ``(tilt, pan, −roll)``.
    """
    r = NUKE_FROM_STAGE @ np.asarray(world_from_camera, dtype=float)[:3, :3]
    return euler_zxy_from_matrix(r)


def vertical_fov_deg(focal_length_mm: float, sensor_height_mm: float) -> float:
    """Vertical angle of view of a pinhole camera, degrees."""
    return math.degrees(2.0 * math.atan(sensor_height_mm / (2.0 * focal_length_mm)))


def nuke_camera(sample: PoseMessage, at_entrance_pupil: bool = True) -> NukeCamera:
    """The Nuke camera of one sample.

    With ``at_entrance_pupil`` the camera sits at the projection centre ``position_m + entrance_pupil_m ·
    forward`` (a Nuke camera is a pinhole), else at the tracked position.
    """
    m = np.asarray(sample.world_from_camera, dtype=float)
    position = np.asarray(sample.position_m, dtype=float)
    if at_entrance_pupil:
        forward = -m[:3, 2]  # OpenGL cameras look down −Z
        position = position + sample.entrance_pupil_m * forward
    t = NUKE_FROM_STAGE @ position
    return NukeCamera(
        translate=(float(t[0]), float(t[1]), float(t[2])),
        rotate_deg=nuke_rotation_deg(m),
        vfov_deg=vertical_fov_deg(sample.focal_length_mm, sample.sensor_mm[1]),
    )


def _num(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def to_chan(samples: Iterable[PoseMessage], start_frame: int = 1, at_entrance_pupil: bool = True) -> str:
    """The ``.chan`` text for one camera's samples, one frame per sample from ``start_frame``."""
    return chan_text(enumerate(samples, start=start_frame), at_entrance_pupil)


def chan_text(frames: Iterable[tuple[int, PoseMessage]], at_entrance_pupil: bool = True) -> str:
    """The ``.chan`` text of ``[(frame number, pose), ...]`` (e.g. :func:`stage.core.export.resample.resample`'s).

    Angles are unwrapped across frames (179° then −179° becomes 179° then 181°) so Nuke does not spin the camera
    when it interpolates between keys. Nuke turns the last column (vertical FOV) back into a focal length with the
    Camera node's vertical aperture, so that must be the sensor height (:func:`nuke_aperture_hint`).
    """
    lines: list[str] = []
    previous: tuple[float, float, float] | None = None
    for frame, sample in frames:
        cam = nuke_camera(sample, at_entrance_pupil)
        rot = cam.rotate_deg
        if previous is not None:
            rot = (unwrap_deg(previous[0], rot[0]), unwrap_deg(previous[1], rot[1]), unwrap_deg(previous[2], rot[2]))
        previous = rot
        values = (*cam.translate, *rot, cam.vfov_deg)
        lines.append(" ".join([str(frame), *(_num(v) for v in values)]))
    return "\n".join(lines) + ("\n" if lines else "")


def nuke_aperture_hint(sample: PoseMessage) -> str:
    """What to set on the Nuke Camera before importing, so the focal length comes back right."""
    width_mm, height_mm = sample.sensor_mm
    return (f"in Nuke, set the Camera's horizontal aperture to {width_mm:g} mm and vertical aperture to "
            f"{height_mm:g} mm (the camera's sensor) before importing: .chan carries the vertical field of view")
