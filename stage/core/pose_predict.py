"""Linear pose prediction (pure): extrapolate a pose from the velocity between two samples.

Used by the tracking daemon (``latency.mode: predict``, a fixed horizon after each sample) and by the frame clock
(``latency.mode: present``, each frame's pose extrapolated to that frame's own present time). Axes are
``[x, y, z, pan, tilt, roll]`` in metres and degrees; angles must be unwrapped against each other first
(:func:`stage.core.pose.unwrap_deg`), which :func:`predict_pose` does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from stage.core.pose import unwrap_deg, world_from_camera_rows, wrap_deg
from stage.core.wire.pose import PoseMessage

MAX_PRESENT_HORIZON_S = 0.2
"""The frame clock never extrapolates a pose further than this past its sample (a source that stalled is not
carried on along its last velocity)."""
MAX_SAMPLE_GAP_S = 0.1
"""Two samples further apart than this give no velocity (a dropout in between): the pose is used as measured."""
MIN_VELOCITY_BASE_S = 0.004
"""The velocity is taken between samples at least this far apart: samples that come bunched (a daemon catching up
after a stall, a tracker without its own timestamps whose datagrams arrive together) can be microseconds apart, and
any noise over such a gap is an absurd velocity. Trackers sample at up to 250 Hz, so the sample before is normally
used."""


def extrapolate(t_before: float, before: Sequence[float], t_last: float, last: Sequence[float],
                horizon_s: float) -> list[float]:
    """``last`` moved ``horizon_s`` ahead along the velocity from ``before`` (at ``t_before``) to ``last`` (at
    ``t_last``): ``last + (last − before) · horizon / (t_last − t_before)``. ``last`` unchanged when the times do not
    increase; ``inf`` on every axis when the arithmetic overflows (absurd velocities: callers drop non-finite poses)."""
    if t_last <= t_before:
        return list(last)
    try:
        scale = horizon_s / (t_last - t_before)
        return [a + (a - b) * scale for a, b in zip(last, before, strict=True)]
    except OverflowError:
        return [math.inf] * len(last)


def predict_pose(before: PoseMessage | None, last: PoseMessage, t_target: float,
                 max_horizon_s: float = MAX_PRESENT_HORIZON_S) -> PoseMessage:
    """``last`` extrapolated to ``t_target`` (Unix seconds) from the velocity between ``before`` and ``last`` (their
    ``t_sample``): position, angles and ``world_from_camera``; everything else (``seq``, times, lens) unchanged, so
    the frame still traces to the sample it came from. The horizon ``t_target − last.t_sample`` is clamped to
    ``[0, max_horizon_s]``. ``last`` as it is when there is no usable velocity: no ``before``, a stale pose, samples
    less than :data:`MIN_VELOCITY_BASE_S` or more than :data:`MAX_SAMPLE_GAP_S` apart, or a non-finite result."""
    if before is None or last.stale or before.stale:
        return last
    dt = last.t_sample - before.t_sample
    if not MIN_VELOCITY_BASE_S <= dt <= MAX_SAMPLE_GAP_S:
        return last
    horizon = min(max(t_target - last.t_sample, 0.0), max_horizon_s)
    angles = [unwrap_deg(b, a) for b, a in zip(before.rotation_deg, last.rotation_deg, strict=True)]
    axes = extrapolate(before.t_sample, [*before.position_m, *before.rotation_deg], last.t_sample,
                       [*last.position_m, *angles], horizon)
    if not all(math.isfinite(a) for a in axes):
        return last
    position = (axes[0], axes[1], axes[2])
    rotation = (wrap_deg(axes[3]), axes[4], wrap_deg(axes[5]))
    rows = tuple(tuple(row) for row in world_from_camera_rows(position, rotation))
    return last.model_copy(update={"position_m": position, "rotation_deg": rotation, "world_from_camera": rows})
