"""Several cameras: each gets an inner frustum; where two overlap on a wall the higher priority is on top."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from renderer.gl import create_context
from renderer.offline import render_frame
from renderer.views import CameraState
from stage.core.config import load_scene_config, load_stage_config

pytestmark = pytest.mark.gl

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def frames():
    config = load_stage_config(REPO / "configs" / "demo.yaml")
    scene = load_scene_config(REPO / "tests" / "data" / "overhead.yaml")

    def cam(name: str, x: float, pan: float, priority: int) -> CameraState:
        return CameraState(camera=name, position_m=(x, 0.5, 1.6), rotation_deg=(pan, 0.0, 0.0), focal_length_mm=24.0,
                           sensor_mm=(24.89, 14.0), priority=priority)

    ctx = create_context("headless")
    try:
        out = {}
        for key, cams in {
            "a": [cam("A", -1.2, 0.0, 0)],
            "b": [cam("B", 1.2, 0.0, 0)],
            "a_over_b": [cam("A", -1.2, 0.0, 1), cam("B", 1.2, 0.0, 0)],
            "b_over_a": [cam("A", -1.2, 0.0, 0), cam("B", 1.2, 0.0, 1)],
        }.items():
            out[key] = render_frame(config, scene, cams, camera_width_px=64, context=ctx).walls["main"][:, :, :3]
        return out
    finally:
        ctx.close()


def test_overlap_shows_the_higher_priority_camera(frames) -> None:
    a, b = frames["a"].astype(int), frames["b"].astype(int)
    # A (x = -1.2 m) covers the wall from x ≈ -3.2 to 0.8 m, B (x = 1.2 m) from -0.8 to 3.2 m: the centre is in both.
    centre = (slice(100, 156), slice(236, 276))
    assert np.abs(a[centre] - b[centre]).mean() > 5, "the two cameras should see different things there"
    np.testing.assert_array_equal(frames["a_over_b"][centre], frames["a"][centre])
    np.testing.assert_array_equal(frames["b_over_a"][centre], frames["b"][centre])


def test_each_camera_keeps_its_own_frustum_outside_the_overlap(frames) -> None:
    # x = -2.3 .. -1.4 m (columns 60-140) is inside A only.
    left = (slice(100, 156), slice(60, 140))
    np.testing.assert_array_equal(frames["b_over_a"][left], frames["a"][left])
