"""Tracking samples resampled to plate frames: one pose per frame of the plate's rate, for tools that key per frame
(Nuke's ``.chan``). Position, lens values and time are interpolated linearly between the two samples around each
frame time; orientation by slerp (:mod:`stage.core.quaternion`), never by blending angles.

Frame numbering: frame ``n`` is at ``t0 + (n - n0) / fps``. By default ``n0`` is the first frame number asked for and
``t0`` the first sample's time. With timecode, the first sample that carries one fixes the grid: its timecode as a
frame count at the nominal rate is ``n0`` and its ``t_sample`` is ``t0`` — so frame numbers match the plate's.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np

from stage.core.export import ExportError
from stage.core.pose import Pose
from stage.core.quaternion import matrix_from_quaternion, quaternion_from_matrix, slerp
from stage.core.wire.pose import PoseMessage

_TIMECODE = re.compile(r"^(\d{2}):(\d{2}):(\d{2})[:;.](\d{2,3})$")


def timecode_frame_count(timecode: str, fps: Fraction) -> int:
    """``HH:MM:SS:FF`` as a frame count at the nominal (whole) rate of ``fps`` (29.97 counts as 30: timecode
    labels, not elapsed time). Raises :class:`ExportError` for a malformed timecode."""
    m = _TIMECODE.match(timecode)
    if not m:
        raise ExportError(f"timecode {timecode!r}: expected HH:MM:SS:FF")
    hours, minutes, seconds, frames = (int(g) for g in m.groups())
    nominal = round(fps)
    if minutes > 59 or seconds > 59 or frames >= nominal:
        raise ExportError(f"timecode {timecode!r}: out of range at {nominal} fps")
    return ((hours * 60 + minutes) * 60 + seconds) * nominal + frames


def _blend(a: PoseMessage, b: PoseMessage, t: float, w: float) -> PoseMessage:
    """The pose a fraction ``w`` of the way from sample ``a`` to sample ``b``, at time ``t``."""
    ma, mb = np.asarray(a.world_from_camera, dtype=float), np.asarray(b.world_from_camera, dtype=float)
    m = np.eye(4)
    m[:3, :3] = matrix_from_quaternion(slerp(quaternion_from_matrix(ma[:3, :3]), quaternion_from_matrix(mb[:3, :3]),
                                             w))
    m[:3, 3] = (1.0 - w) * ma[:3, 3] + w * mb[:3, 3]
    pose = Pose.from_world_from_camera(m)

    def lerp(x: float | None, y: float | None) -> float | None:
        return None if x is None or y is None else (1.0 - w) * x + w * y

    return a.model_copy(update={
        "t_sample": t,
        "position_m": pose.position_m,
        "rotation_deg": pose.rotation_deg,
        "world_from_camera": tuple(tuple(float(v) for v in row) for row in m),
        "focal_length_mm": lerp(a.focal_length_mm, b.focal_length_mm),
        "entrance_pupil_m": lerp(a.entrance_pupil_m, b.entrance_pupil_m),
        "focus_m": lerp(a.focus_m, b.focus_m),
        "fstop": lerp(a.fstop, b.fstop),
        "timecode": None,
    })


def frame_grid(samples: list[PoseMessage], fps: Fraction, first_frame: int | None) -> tuple[int, float]:
    """``(n0, t0)``: a frame number and its time. ``first_frame`` None means from the first timecoded sample."""
    if first_frame is not None:
        return first_frame, samples[0].t_sample
    for sample in samples:
        if sample.timecode:
            return timecode_frame_count(sample.timecode, fps), sample.t_sample
    raise ExportError("no sample carries a timecode: give --start-frame N")


def resample(samples: list[PoseMessage], fps: Fraction, first_frame: int | None = 1) -> list[tuple[int, PoseMessage]]:
    """``[(frame, pose), ...]`` for every frame whose time lies within the samples' span, in frame order.

    ``samples`` must be in time order (a take is); ``first_frame`` None numbers frames by timecode.
    """
    if fps <= 0:
        raise ExportError(f"frame rate {fps} must be positive")
    if not samples:
        return []
    times = np.array([s.t_sample for s in samples])
    if np.any(np.diff(times) < 0):
        raise ExportError("samples are not in time order")
    n0, t0 = frame_grid(samples, fps, first_frame)
    period = 1.0 / float(fps)
    eps = 1e-6 * period
    first = math.ceil((times[0] - t0) / period - 1e-6) + n0
    last = math.floor((times[-1] - t0) / period + 1e-6) + n0
    out: list[tuple[int, PoseMessage]] = []
    for n in range(first, last + 1):
        t = t0 + (n - n0) * period
        i = int(np.searchsorted(times, t - eps, side="left"))
        if i >= len(samples):
            i = len(samples) - 1
        if abs(times[i] - t) <= eps or i == 0:
            out.append((n, samples[i].model_copy(update={"t_sample": t})))
            continue
        a, b = samples[i - 1], samples[i]
        w = (t - a.t_sample) / (b.t_sample - a.t_sample)
        out.append((n, _blend(a, b, t, w)))
    return out
