"""``stage render``'s frame writer: a PQ wall is written as a 16-bit RGB PNG, the others stay 8-bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from renderer.gl import GLContext
from renderer.offline import render_frame, write_frame
from renderer.views import CameraState
from stage.core.color.png16 import load_png16
from stage.core.config.color import WallColor
from stage.core.config.loader import load_scene_config, load_stage_config
from stage.core.lens import LensSolver

pytestmark = pytest.mark.gl

REPO = Path(__file__).resolve().parents[2]


def test_pq_wall_png_is_16_bit(gl_context: GLContext, tmp_path: Path) -> None:
    config = load_stage_config(REPO / "tests" / "color" / "data" / "color-stage.yaml")
    config.walls[0].color = WallColor(transfer="pq", peak_nits=2000.0)
    scene = load_scene_config(REPO / "scenes" / "demo.yaml")
    camera = config.cameras[0]
    lens = LensSolver(camera.lens)()
    state = CameraState(camera=camera.id, position_m=(0.0, 0.5, 1.6), rotation_deg=(0.0, 0.0, 0.0),
                        focal_length_mm=lens.focal_length_mm, sensor_mm=camera.sensor_mm,
                        entrance_pupil_m=lens.entrance_pupil_m, priority=camera.priority)
    result = render_frame(config, scene, [state], None, 0.0, 64, context=gl_context)
    sixteen = result.walls_16bit["main"]
    assert sixteen.dtype == np.uint16 and result.walls["main"].dtype == np.uint8
    np.testing.assert_array_less(np.abs(result.walls["main"][..., :3] * 257.0 - sixteen[..., :3]), 129.0)
    write_frame(tmp_path, config, result, state)
    path = tmp_path / "walls" / "main.png"
    assert path.read_bytes()[24] == 16  # IHDR bit depth
    assert np.array_equal(load_png16(path), sixteen[..., :3])
    with Image.open(tmp_path / "camera.png") as img:
        assert img.mode == "RGB"
    assert (tmp_path / "camera.png").read_bytes()[24] == 8
