"""Every shipped scene loads, validates and prepares; assets stay small; arrays expand deterministically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from renderer.gl.scene_geometry import array_rows, prepare_scene, scene_block, sun_at
from stage.core.config.loader import load_scene_config
from stage.core.config.scene import SceneConfig

REPO = Path(__file__).resolve().parents[2]
SCENES = sorted((REPO / "scenes").glob("*.yaml"))
MAX_ASSET_BYTES = 5 * 1024 * 1024


def test_the_required_scenes_ship() -> None:
    assert {p.stem for p in SCENES} >= {"demo", "calibration", "night-city", "landscape", "gallery"}


@pytest.mark.parametrize("path", SCENES, ids=lambda p: p.stem)
def test_scene_loads_and_prepares(path: Path) -> None:
    scene = load_scene_config(path)
    prepared = prepare_scene(scene)
    assert sum(len(v) for v in prepared.instances.values()) + len(prepared.custom) > 0
    assert scene_block(prepared, (0, 0, 0), 0.0, 1.0).dtype == np.float32


def test_existing_yaml_still_loads_unchanged() -> None:
    for path in (REPO / "scenes" / "demo.yaml", REPO / "tests" / "data" / "overhead.yaml"):
        assert load_scene_config(path).objects


def test_assets_are_small() -> None:
    total = sum(p.stat().st_size for p in (REPO / "scenes" / "assets").rglob("*") if p.is_file())
    assert 0 < total < MAX_ASSET_BYTES


def test_array_expands_with_fill_and_seeded_jitter() -> None:
    scene = SceneConfig.model_validate({"name": "a", "objects": [
        {"kind": "array", "count": [4, 3], "spacing_m": [2, 5], "position_m": [0, 10, 0],
         "item": {"kind": "box", "size_m": [1, 1, 2]}},
        {"kind": "array", "count": [10, 10], "spacing_m": [1, 1], "fill": 0.5,
         "jitter": {"seed": 1, "position_m": 0.2, "scale": [0, 0, 0.5], "color": 0.2},
         "item": {"kind": "box"}}]})
    grid = array_rows(scene.objects[0])
    assert grid.shape == (12, 29)
    centres = grid[:, 12:15]  # column-major mat4: translation is the 4th column
    assert np.allclose(sorted(set(np.round(centres[:, 0], 6))), [-3, -1, 1, 3])
    assert np.allclose(sorted(set(np.round(centres[:, 1], 6))), [5, 10, 15])
    a, b = array_rows(scene.objects[1]), array_rows(scene.objects[1])
    assert np.array_equal(a, b) and 30 < len(a) < 70
    heights, z = a[:, 10], a[:, 14]  # column 2 z component = height; z of the centre
    assert np.allclose(z, (heights - 1.0) / 2, atol=1e-5)  # boxes grow upwards from their base (z = -0.5)


def test_time_of_day_formula() -> None:
    scene = SceneConfig.model_validate({"name": "t", "time_of_day": {"sunrise_azimuth_deg": 0,
                                                                    "noon_elevation_deg": 60}})
    assert sun_at(scene, 6.0) == pytest.approx((0.0, 0.0))
    assert sun_at(scene, 12.0) == pytest.approx((-90.0, 60.0))
    assert sun_at(scene, 18.0)[1] == pytest.approx(0.0, abs=1e-9)
    assert sun_at(scene, 0.0)[1] == pytest.approx(-60.0)
    plain = SceneConfig.model_validate({"name": "p", "sun": {"azimuth_deg": 10, "elevation_deg": 20}})
    assert sun_at(plain, 6.0) == (10.0, 20.0)  # scenes without time_of_day ignore the time
