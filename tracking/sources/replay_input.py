"""Replay of a recorded take (``stage record``) as a tracking input.

``realtime`` keeps the recorded spacing of samples (by their ``t_sample``); ``fast`` sends them as fast as the loop
can publish, in chunks so timers stay on time. Replayed samples are stamped with the replay time (a consumer's pose
age stays meaningful); timecode is passed through as recorded. Stale re-sends in the take are skipped.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from stage.core.config.sources import ReplaySource
from stage.core.take import read_take
from tracking.sample import TrackerSample
from tracking.sources.base import Input, Received

log = logging.getLogger(__name__)

FAST_CHUNK = 64
"""Samples sent per loop iteration in ``fast`` mode."""


class ReplayInput(Input):
    kind = "replay"

    def __init__(self, config: ReplaySource, base_dir: str = "."):
        super().__init__(config.name, config.timeout_ms / 1000.0)
        path = Path(base_dir) / config.take
        take = read_take(path)  # TakeError → reported by the caller
        self.samples = [s for s in take.samples if not s.stale]
        if not self.samples:
            log.warning("take %s has no samples", path)
        self.fast = config.speed == "fast"
        self.loop = config.loop
        self._t0 = self.samples[0].t_sample if self.samples else 0.0
        self._index = 0
        self._start = time.monotonic()

    def _due_of(self, index: int) -> float:
        if self.fast:
            return self._start
        return self._start + (self.samples[index].t_sample - self._t0)

    def next_due(self) -> float | None:
        if self._index >= len(self.samples):
            return None
        return self._due_of(self._index)

    @property
    def finished(self) -> bool:
        return self._index >= len(self.samples)

    def emit(self, mono: float, now: float) -> list[Received]:
        out: list[Received] = []
        while self._index < len(self.samples) and self._due_of(self._index) <= mono:
            m = self.samples[self._index]
            out.append(
                (
                    TrackerSample(
                        source_camera_id=m.camera,
                        position_m=m.position_m,
                        rotation_deg=m.rotation_deg,
                        focal_length_mm=m.focal_length_mm,
                        focus_m=m.focus_m,
                        entrance_pupil_m=m.entrance_pupil_m,
                        fstop=m.fstop,
                        t_sample=now,
                        timecode=m.timecode,
                        sensor_mm=m.sensor_mm,
                        zoom_encoder=m.zoom_encoder,
                        focus_encoder=m.focus_encoder,
                        iris_encoder=m.iris_encoder,
                    ),
                    now,
                )
            )
            self._index += 1
            self.counters.packets += 1
            if self.fast and len(out) >= FAST_CHUNK:
                break
        if self._index >= len(self.samples) and self.loop and self.samples:
            self._index = 0
            self._start = mono + (0.0 if self.fast else 1.0 / 60.0)
        return out
