"""The simulated camera as an input: samples at ``rate_hz`` on a steady monotonic schedule."""

from __future__ import annotations

import time

from stage.core.config.sources import SimulatedSource
from tracking.sample import TrackerSample
from tracking.simulate import SimulatedMove
from tracking.sources.base import Input, Received


class SimulatedInput(Input):
    kind = "simulated"

    def __init__(self, config: SimulatedSource, start_mono: float | None = None):
        super().__init__(config.name, config.timeout_ms / 1000.0)
        self.move = SimulatedMove(config)
        self.period_s = 1.0 / config.rate_hz
        self.start_mono = time.monotonic() if start_mono is None else start_mono
        self._next = self.start_mono
        self._index = 0
        self.unix_time = config.time_base == "unix"

    def next_due(self) -> float | None:
        return self._next

    def emit(self, mono: float, now: float) -> list[Received]:
        out: list[Received] = []
        if mono < self._next:
            return out
        # If the loop fell behind by more than a few periods, skip ahead rather than burst.
        behind = int((mono - self._next) / self.period_s)
        if behind > 3:
            self._index += behind
        # ``start``: the scheduled time since the start; ``unix``: exactly the sample time, so the sample is the true
        # pose at ``t_sample`` however late the loop emits it.
        t = now if self.unix_time else self._index * self.period_s
        state = self.move.at(t)
        self.counters.packets += 1
        out.append(
            (
                TrackerSample(
                    source_camera_id=self.name,
                    position_m=state.position_m,
                    rotation_deg=state.rotation_deg,
                    zoom_encoder=state.zoom_encoder,
                    t_sample=now,
                ),
                now,
            )
        )
        self._index += 1
        self._next = self.start_mono + self._index * self.period_s
        return out
