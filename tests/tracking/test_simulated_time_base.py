"""The simulated source's ``time_base``: ``unix`` makes every sample the move's true pose at its own ``t_sample``."""

from __future__ import annotations

import time

import pytest

from stage.core.config.sources import SimulatedSource
from tracking.simulate import SimulatedMove
from tracking.sources.simulated_input import SimulatedInput

DOLLY = {"name": "sim", "kind": "simulated", "move": "dolly", "extent_m": 2.0, "period_s": 12.0}


def test_unix_time_base_samples_the_move_at_the_sample_time() -> None:
    config = SimulatedSource(**DOLLY, time_base="unix")
    source = SimulatedInput(config, start_mono=time.monotonic())
    ((sample, t_recv),) = source.emit(time.monotonic(), 1_796_292_711.25)
    true = SimulatedMove(config).at(1_796_292_711.25)
    assert sample.t_sample == t_recv == 1_796_292_711.25
    assert sample.position_m == pytest.approx(true.position_m, abs=1e-9)
    assert sample.rotation_deg == pytest.approx(true.rotation_deg, abs=1e-9)
    assert true.position_m[0] != pytest.approx(0.0, abs=1e-3)  # not the start of the move


def test_start_time_base_is_the_default_and_starts_the_move_at_zero() -> None:
    config = SimulatedSource(**DOLLY)
    assert config.time_base == "start"
    source = SimulatedInput(config, start_mono=time.monotonic())
    ((sample, _),) = source.emit(time.monotonic(), 1_796_292_711.25)
    assert sample.position_m[0] == pytest.approx(0.0)  # sin(0): the middle of the dolly
