"""The covered-pixel rectangle of inner frusta against brute force over every LED pixel (the wall pass's own test
on the pixel position map): it holds every covered pixel, for flat, angled, ceiling and curved walls, random
camera poses and lenses, and is not much larger than the covered pixels' own bounding box."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from renderer.views import CameraState, camera_view
from stage.core.config import load_stage_config
from stage.core.config.wall_geometry import pixel_positions, wall_resolution_px, wall_sections
from stage.core.config.walls import CurvedWall
from stage.core.geometry.frustum_cover import covered_rect

REPO = Path(__file__).resolve().parents[2]
DEMO = load_stage_config(REPO / "configs" / "demo.yaml")
CURVED = CurvedWall(name="c", kind="curved", arc={"center_m": [0, 0], "radius_m": 5.0, "start_deg": 150,
                                                   "end_deg": 30}, bottom_m=0.0, height_m=3.0, columns=12,
                    resolution_px=(480, 120), output={"node": "n"})
WALLS = [*DEMO.walls, CURVED]


def brute_force(wall, clips) -> np.ndarray:
    p = pixel_positions(wall).astype(np.float64)
    hom = np.concatenate([p, np.ones(p.shape[:2] + (1,))], axis=-1)
    covered = np.zeros(p.shape[:2], bool)
    for clip in clips:
        c = hom @ np.asarray(clip).T
        w = c[..., 3]
        covered |= (w > 0) & (np.abs(c[..., 0]) <= w) & (np.abs(c[..., 1]) <= w)
    return covered


def random_clip(rng: np.random.Generator) -> np.ndarray:
    state = CameraState("A", tuple(rng.uniform([-2, -1, 0.5], [2, 2, 2.5])), tuple(rng.uniform([-80, -40, -30],
                        [80, 60, 30])), float(rng.uniform(12, 85)), (24.89, 14.0), 0.1)
    return camera_view(state, float(rng.uniform(0, 30))).clip_from_world


@pytest.mark.parametrize("wall", WALLS, ids=lambda w: w.name)
def test_rect_holds_every_covered_pixel(wall) -> None:
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(40):
        clips = [random_clip(rng) for _ in range(int(rng.integers(1, 3)))]
        covered = brute_force(wall, clips)
        rect = covered_rect(wall_sections(wall), wall_resolution_px(wall), clips)
        if not covered.any():
            continue
        hits += 1
        assert rect is not None
        x0, y0, x1, y1 = rect
        rows, cols = np.nonzero(covered)
        assert x0 <= cols.min() and cols.max() < x1 and y0 <= rows.min() and rows.max() < y1
        # tight: a few pixels beyond the covered pixels' own box (padding, rounding, and a thin sliver of the
        # frustum that crosses pixels without reaching their centres)
        assert x0 >= cols.min() - 8 and x1 <= cols.max() + 9 and y0 >= rows.min() - 8 and y1 <= rows.max() + 9
    assert hits >= 5  # the poses really looked at the wall


def test_nothing_covered_behind_the_camera() -> None:
    main = DEMO.walls[0]
    away = CameraState("A", (0.0, 0.5, 1.6), (180.0, 0.0, 0.0), 35.0, (24.89, 14.0))
    sections, size_px = wall_sections(main), wall_resolution_px(main)
    assert covered_rect(sections, size_px, [camera_view(away, 10.0).clip_from_world]) is None
    facing = CameraState("A", (0.0, 0.5, 1.6), (0.0, 0.0, 0.0), 35.0, (24.89, 14.0))
    x0, y0, x1, y1 = covered_rect(sections, size_px, [camera_view(facing, 10.0).clip_from_world])
    assert 0 < x0 < x1 < 512 and 0 < y0 < y1 <= 256
