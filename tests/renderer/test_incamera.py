"""The product's correctness criterion: what the camera films of the walls equals the virtual world.

Each case renders a frame (walls, camera view, render.json), recomposes the camera's view from the wall images and
render.json alone, and compares it with camera.png over every pixel that sees a wall. The threshold of each case is
shown to be meaningful: the same wall images shifted by one LED pixel (horizontally or vertically) fall below it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from renderer.incamera import compare, recompose
from renderer.offline import render_frame, render_json
from renderer.views import CameraState
from stage.core.config import load_scene_config, load_stage_config
from stage.core.lens import LensSolver

pytestmark = pytest.mark.gl

REPO = Path(__file__).resolve().parents[2]
FAILURES = REPO / "tests" / "_failures" / "incamera"

CASES = [
    # id, config, pose (x, y, z, pan, tilt, roll), minimum PSNR dB
    ("demo-front", "configs/demo.yaml", (0.0, 0.5, 1.6, 0.0, 0.0, 0.0), 35.5),
    ("demo-side-wall", "configs/demo.yaml", (0.0, 0.5, 1.6, -30.0, 0.0, 0.0), 37.0),
    ("curved-volume", "tests/data/curved-small.yaml", (0.5, 0.0, 1.7, 40.0, 5.0, 0.0), 40.5),
    ("ceiling", "configs/demo.yaml", (0.0, 2.0, 1.6, 0.0, 70.0, 0.0), 30.0),
    ("close-off-centre", "configs/demo.yaml", (2.2, 3.3, 1.2, -20.0, 0.0, 0.0), 29.0),
    ("tilted-rolled", "configs/demo.yaml", (-0.5, 1.0, 1.4, 15.0, 12.0, 20.0), 38.0),
]


@pytest.fixture(scope="module")
def scene():
    return load_scene_config(REPO / "tests" / "data" / "overhead.yaml")


@pytest.mark.parametrize(("case", "config_path", "pose", "min_psnr"), CASES, ids=[c[0] for c in CASES])
def test_walls_show_what_the_camera_should_see(scene, case, config_path, pose, min_psnr) -> None:
    config = load_stage_config(REPO / config_path)
    cam = config.cameras[0]
    lens = LensSolver(cam.lens)()
    state = CameraState(camera=cam.id, position_m=pose[:3], rotation_deg=pose[3:],
                        focal_length_mm=lens.focal_length_mm, sensor_mm=cam.sensor_mm,
                        entrance_pupil_m=lens.entrance_pupil_m)
    result = render_frame(config, scene, [state], camera_width_px=320)
    doc = render_json(config, result, state)
    ok = compare(*recompose(doc, result.walls), result.camera)
    shifted = [
        compare(*recompose(doc, {k: np.roll(v, 1, axis=axis) for k, v in result.walls.items()}), result.camera)
        for axis in (0, 1)
    ]
    print(f"{case}: PSNR {ok.psnr_db:.2f} dB, mean error {ok.mean_abs_error:.2f}/255, coverage {ok.coverage:.2f}; "
          f"1-px shifted: {shifted[0].psnr_db:.2f} / {shifted[1].psnr_db:.2f} dB")
    if ok.psnr_db < min_psnr:
        FAILURES.mkdir(parents=True, exist_ok=True)
        Image.fromarray(result.camera[:, :, :3]).save(FAILURES / f"{case}-camera.png")
        Image.fromarray(ok.recomposed).save(FAILURES / f"{case}-recomposed.png")
        diff = np.abs(ok.recomposed.astype(int) - result.camera[:, :, :3].astype(int)).clip(0, 255).astype(np.uint8)
        Image.fromarray(diff * 4).save(FAILURES / f"{case}-diff-x4.png")
    assert ok.coverage > 0.5, "the camera should see mostly wall in every case"
    assert ok.psnr_db >= min_psnr, f"{case}: PSNR {ok.psnr_db:.2f} < {min_psnr} (evidence in {FAILURES})"
    assert all(s.psnr_db < min_psnr for s in shifted), "threshold would not catch a 1-pixel misregistration"
