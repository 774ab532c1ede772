"""Prediction to the present time (``latency.mode: present``): the frame clock moves each latched pose from its
sample time to the time its frame is presented, pure.

The daemon's ``latency.mode: predict`` extrapolates a fixed ``ms`` after each sample, but the age of the pose a frame
latches varies with the phase between the tracker's samples and the frame clock (anywhere within one sample
period, and different at every start). The clock knows each frame's due time at the latch, and from the nodes'
present reports how late after it frames have been appearing lately (the median,
:meth:`~stage.core.cluster.telemetry.ClusterTelemetry.present_after_due_p50_s`), so it extrapolates every pose by
``t_frame + that median + latency.ms − t_sample`` (docs/cluster.md#prediction-to-the-present-time).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

from stage.core.config.stage import StageConfig
from stage.core.pose_latch import LatchedPose
from stage.core.pose_predict import MIN_VELOCITY_BASE_S, predict_pose
from stage.core.wire.pose import PoseMessage


def present_offsets_s(config: StageConfig) -> dict[str, float]:
    """Camera → seconds after the frame's due time its pose is predicted to (``latency.ms``), for every camera with
    ``latency.mode: present``."""
    return {c.id: c.latency.ms / 1000.0 for c in config.cameras if c.latency.mode == "present"}


def previous_sample(history: deque[LatchedPose] | None, last: PoseMessage) -> PoseMessage | None:
    """The newest pose in ``history`` of an earlier sample than ``last`` (re-sends repeat a ``seq``) sampled at least
    :data:`~stage.core.pose_predict.MIN_VELOCITY_BASE_S` before it (bunched samples are skipped)."""
    for latched in reversed(history or ()):
        message = latched.message
        if message.seq < last.seq and message.t_sample <= last.t_sample - MIN_VELOCITY_BASE_S:
            return message
    return None


def predict_to_present(poses: Mapping[str, PoseMessage], history: Mapping[str, deque[LatchedPose]],
                       t_present_s: float, offsets_s: Mapping[str, float],
                       delay_ms: Mapping[str, float]) -> dict[str, PoseMessage]:
    """``poses`` with each camera of ``offsets_s`` extrapolated to ``t_present_s + offset`` (Unix seconds) from the
    velocity between its latched pose and the sample before it in ``history``. A camera with a live
    ``camera_delay_ms`` keeps its delayed pose: the operator asked to show it late, not predicted."""
    out = dict(poses)
    for camera, offset in offsets_s.items():
        last = out.get(camera)
        if last is None or delay_ms.get(camera, 0.0) > 0.0:
            continue
        out[camera] = predict_pose(previous_sample(history.get(camera), last), last, t_present_s + offset)
    return out
