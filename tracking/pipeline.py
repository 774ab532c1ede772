"""Per-camera processing: tracker sample → calibrated, lens-solved, filtered, latency-compensated pose.

One :class:`CameraPipeline` per configured camera. It is pure state plus arithmetic: the daemon hands it
samples with their receive time and publishes what it returns. Nothing here touches a socket.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from stage.core.config.cameras import Camera, LensTable, OneEuroSettings
from stage.core.config.sources import Calibration
from stage.core.lens import LensSolver
from stage.core.pose import ptr_from_rotation, rotation_from_ptr, unwrap_deg, world_from_camera_rows, wrap_deg
from stage.core.pose_predict import MIN_VELOCITY_BASE_S, extrapolate
from stage.core.wire.pose import WIRE_MINOR, WIRE_VERSION
from tracking.oneeuro import PoseFilter
from tracking.sample import TrackerSample


@dataclass(frozen=True)
class SolvedPose:
    """A camera pose ready to publish (everything in stage conventions)."""

    camera: str
    source: str
    seq: int
    t_sample: float
    t_recv: float
    position_m: tuple[float, float, float]
    rotation_deg: tuple[float, float, float]
    focal_length_mm: float
    sensor_mm: tuple[float, float]
    focus_m: float | None
    entrance_pupil_m: float
    fstop: float | None
    timecode: str | None
    zoom_encoder: float | None = None
    focus_encoder: float | None = None
    iris_encoder: float | None = None

    def body(self, t_pub: float, stale: bool) -> dict:
        """The wire body (:class:`stage.core.wire.pose.PoseMessage` fields)."""
        return {
            "v": WIRE_VERSION,
            "v_minor": WIRE_MINOR,
            "camera": self.camera,
            "source": self.source,
            "seq": self.seq,
            "t_sample": self.t_sample,
            "t_recv": self.t_recv,
            "t_pub": t_pub,
            "position_m": list(self.position_m),
            "rotation_deg": list(self.rotation_deg),
            "world_from_camera": world_from_camera_rows(self.position_m, self.rotation_deg),
            "focal_length_mm": self.focal_length_mm,
            "sensor_mm": list(self.sensor_mm),
            "focus_m": self.focus_m,
            "entrance_pupil_m": self.entrance_pupil_m,
            "fstop": self.fstop,
            "timecode": self.timecode,
            "stale": stale,
            "zoom_encoder": self.zoom_encoder,
            "focus_encoder": self.focus_encoder,
            "iris_encoder": self.iris_encoder,
        }

    def is_finite(self) -> bool:
        values = (*self.position_m, *self.rotation_deg, self.focal_length_mm, self.entrance_pupil_m, *self.sensor_mm)
        optional = (self.focus_m, self.fstop)
        return all(math.isfinite(v) for v in values) and all(v is None or math.isfinite(v) for v in optional)


class Calibrator:
    """Tracker-to-stage transform of one source (``sources[].calibration``)."""

    def __init__(self, calibration: Calibration):
        self.rotation = rotation_from_ptr(*calibration.rotation_deg)
        self.translation = np.asarray(calibration.translation_m, dtype=float)
        self.identity = not self.translation.any() and not any(calibration.rotation_deg)

    def apply(
        self, position_m: tuple[float, float, float], rotation_deg: tuple[float, float, float]
    ) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        if self.identity:
            return position_m, rotation_deg
        p = self.rotation @ np.asarray(position_m, dtype=float) + self.translation
        r = self.rotation @ rotation_from_ptr(*rotation_deg)
        pan, tilt, roll = ptr_from_rotation(r)
        # Keep the angles continuous with the tracker's own (no jump at ±180°).
        pan = unwrap_deg(rotation_deg[0], pan)
        roll = unwrap_deg(rotation_deg[2], roll)
        return (float(p[0]), float(p[1]), float(p[2])), (pan, tilt, roll)


class Predictor:
    """Extrapolates a pose ``horizon_s`` ahead from the velocity since the newest earlier sample at least
    :data:`~stage.core.pose_predict.MIN_VELOCITY_BASE_S` older (normally the sample before; bunched samples are
    skipped, their microseconds apart would make any noise an absurd velocity)."""

    def __init__(self, horizon_s: float):
        self.horizon_s = horizon_s
        self.recent: deque[tuple[float, list[float]]] = deque(maxlen=16)

    def __call__(self, t: float, axes: list[float]) -> list[float]:
        base = next((s for s in reversed(self.recent) if s[0] <= t - MIN_VELOCITY_BASE_S), None)
        self.recent.append((t, axes))
        if base is None:
            return axes
        return extrapolate(base[0], base[1], t, axes, self.horizon_s)  # inf when absurd: the caller drops it


@dataclass(frozen=True, slots=True)
class Held:
    """Returned by :meth:`CameraPipeline.process` when the camera's ``latency.mode: delay`` holds the pose back:
    :meth:`CameraPipeline.due` hands it out at ``due_mono`` (``time.monotonic()`` seconds)."""

    pose: SolvedPose
    due_mono: float


class CameraPipeline:
    """Calibration → lens → filter → latency for one camera."""

    def __init__(self, camera: Camera, source_name: str, calibration: Calibration):
        self.camera = camera
        self.source_name = source_name
        self.calibrator = Calibrator(calibration)
        self.lens = LensSolver(camera.lens)
        self.is_table = isinstance(camera.lens, LensTable)
        self.filter = (
            PoseFilter(
                position=(camera.filter.min_cutoff_hz, camera.filter.beta, camera.filter.d_cutoff_hz),
                rotation=(camera.filter.rotation_min_cutoff_hz, camera.filter.rotation_beta, camera.filter.d_cutoff_hz),
            )
            if isinstance(camera.filter, OneEuroSettings)
            else None
        )
        mode, ms = camera.latency.mode, camera.latency.ms
        self.delay_s = ms / 1000.0 if mode == "delay" else 0.0
        self.predictor = Predictor(ms / 1000.0) if mode == "predict" and ms > 0 else None
        self.seq = 0
        self._unwrapped: list[float] | None = None
        self.pending: deque[Held] = deque()
        """Poses held back by a delay, oldest first, each with its monotonic due time."""
        self.last: SolvedPose | None = None
        """The last pose handed out (the last-value cache and stale re-sends use it)."""

    def accepts(self, sample: TrackerSample) -> bool:
        wanted = self.camera.source_camera
        return wanted is None or wanted == sample.source_camera_id

    def _angles(self, rotation_deg: tuple[float, float, float]) -> list[float]:
        """Angles unwrapped against the previous sample, so the predictor never sees a ±180° jump (used only
        without a filter: :class:`PoseFilter` unwraps its input itself)."""
        previous = self._unwrapped
        if previous is None:
            angles = [float(a) for a in rotation_deg]
        else:
            angles = [unwrap_deg(p, a) for p, a in zip(previous, rotation_deg, strict=True)]
        self._unwrapped = angles
        return angles

    def process(self, sample: TrackerSample, t_recv: float, recv_mono: float | None = None) -> SolvedPose | Held | None:
        """Solve one sample received at ``t_recv`` (epoch seconds) = ``recv_mono`` (``time.monotonic()``, default
        now). Returns the pose to publish now, a :class:`Held` pose when the camera's delay holds it back (see
        :meth:`due`), or ``None`` when the result is not finite (dropped; the previous pose stays current)."""
        position, rotation = self.calibrator.apply(sample.position_m, sample.rotation_deg)
        t = sample.t_sample if sample.t_sample is not None else t_recv
        if self.filter is not None:
            position_f, rotation_f = self.filter(position, rotation, t)
            axes = [*position_f, *rotation_f]
        else:
            axes = [*position, *self._angles(rotation)]
        if self.predictor is not None:
            axes = self.predictor(t, axes)
        lens = self.lens(sample.zoom_encoder, sample.focus_encoder)
        use_table = self.is_table and sample.zoom_encoder is not None
        focal = lens.focal_length_mm if use_table or sample.focal_length_mm is None else sample.focal_length_mm
        pupil = lens.entrance_pupil_m if use_table or sample.entrance_pupil_m is None else sample.entrance_pupil_m
        focus = sample.focus_m if sample.focus_m is not None else lens.focus_m
        wrapped = [wrap_deg(a) if math.isfinite(a) else a for a in axes[3:]]
        pose = SolvedPose(
            camera=self.camera.id,
            source=self.source_name,
            seq=self.seq,
            t_sample=t,
            t_recv=t_recv,
            position_m=(axes[0], axes[1], axes[2]),
            rotation_deg=(wrapped[0], axes[4], wrapped[2]),
            focal_length_mm=float(focal),
            sensor_mm=sample.sensor_mm or self.camera.sensor_mm,
            focus_m=focus,
            entrance_pupil_m=float(pupil),
            fstop=sample.fstop,
            timecode=sample.timecode,
            zoom_encoder=sample.zoom_encoder,
            focus_encoder=sample.focus_encoder,
            iris_encoder=sample.iris_encoder,
        )
        if not pose.is_finite():
            return None
        self.seq += 1
        if self.delay_s > 0.0:
            mono = time.monotonic() if recv_mono is None else recv_mono
            held = Held(pose, mono + self.delay_s)
            self.pending.append(held)
            return held
        self.last = pose
        return pose

    def due(self, now_mono: float) -> list[SolvedPose]:
        """Delayed poses whose time has come at ``now_mono`` (``time.monotonic()``), oldest first. Monotonic, so
        a wall-clock step neither stalls nor bursts them."""
        out = []
        while self.pending and self.pending[0].due_mono <= now_mono:
            out.append(self.pending.popleft().pose)
        if out:
            self.last = out[-1]
        return out

    def next_due(self) -> float | None:
        """Monotonic time the oldest held pose is due, or None."""
        return self.pending[0].due_mono if self.pending else None

    def reset_motion(self) -> None:
        """Forget filter and predictor history (after a dropout, so a new move starts clean)."""
        if self.filter is not None:
            self.filter.reset()
        if self.predictor is not None:
            self.predictor.recent.clear()
        self._unwrapped = None

