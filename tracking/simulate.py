"""Simulated camera moves: pure functions of time, reproducible from a seed.

Every move keeps the camera aimed at ``target_m`` (except ``static`` with noise, which shakes around it).
``noise`` adds a smooth, seeded handheld shake to any move (sums of sines, so it is deterministic and
differentiable); the ``handheld`` move is a static camera with shake (``noise`` defaults to 0.01 there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stage.core.config.sources import SimulatedSource

HANDHELD_DEFAULT_NOISE = 0.01
"""Shake amplitude of the ``handheld`` move when ``noise`` is 0: metres, ×10 for degrees."""


@dataclass(frozen=True)
class SimulatedState:
    position_m: tuple[float, float, float]
    rotation_deg: tuple[float, float, float]
    zoom_encoder: float | None


def look_at_ptr(position: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """``(pan, tilt)`` in degrees that aim a camera at ``position`` towards ``target`` (stage convention)."""
    d = np.asarray(target, dtype=float) - np.asarray(position, dtype=float)
    pan = math.degrees(math.atan2(-d[0], d[1]))
    tilt = math.degrees(math.atan2(d[2], math.hypot(d[0], d[1])))
    return pan, tilt


class SimulatedMove:
    """Evaluates a :class:`~stage.core.config.sources.SimulatedSource` move at time ``t`` (seconds from start)."""

    def __init__(self, settings: SimulatedSource):
        self.settings = settings
        rng = np.random.default_rng(settings.seed)
        # 6 axes (x, y, z, pan, tilt, roll) × 3 partials: frequency (Hz), phase, weight.
        self._freq = rng.uniform(0.3, 2.5, size=(6, 3))
        self._phase = rng.uniform(0.0, 2.0 * math.pi, size=(6, 3))
        weights = rng.uniform(0.5, 1.0, size=(6, 3))
        self._weight = weights / weights.sum(axis=1, keepdims=True)
        self._noise = settings.noise or (HANDHELD_DEFAULT_NOISE if settings.move == "handheld" else 0.0)

    def _shake(self, t: float) -> np.ndarray:
        if self._noise == 0.0:
            return np.zeros(6)
        waves = np.sin(2.0 * math.pi * self._freq * t + self._phase)
        shake = (self._weight * waves).sum(axis=1) * self._noise
        shake[3:] *= 10.0
        return shake

    def at(self, t: float) -> SimulatedState:
        s = self.settings
        phase = 2.0 * math.pi * t / s.period_s
        center = np.asarray(s.center_m, dtype=float)
        offset = np.zeros(3)
        if s.move == "orbit":
            offset = s.extent_m * np.array([math.sin(phase), 1.0 - math.cos(phase), 0.0]) * np.array([1, 0.5, 1])
        elif s.move == "dolly":
            offset = np.array([s.extent_m * math.sin(phase), 0.0, 0.0])
        elif s.move == "crane":
            offset = np.array([0.0, 0.0, s.extent_m * math.sin(phase)])
        position = center + offset
        pan, tilt = look_at_ptr(position, np.asarray(s.target_m, dtype=float))
        shake = self._shake(t)
        position = position + shake[:3]
        zoom = None
        if s.zoom_pull is not None:
            start, end = s.zoom_pull
            zoom = start + (end - start) * 0.5 * (1.0 - math.cos(phase))
        return SimulatedState(
            position_m=(float(position[0]), float(position[1]), float(position[2])),
            rotation_deg=(pan + float(shake[3]), tilt + float(shake[4]), float(shake[5])),
            zoom_encoder=zoom,
        )
