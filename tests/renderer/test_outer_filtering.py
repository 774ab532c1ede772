"""The outer-frustum cube map is mip-mapped and sampled trilinear, so a wall that sees it minified shows the
ground grid filtered, not aliased into streaks (issue 13).

Measured on a rendered wall: the calibration scene's 1 m floor grid on the demo stage's main wall (512 px over
~90° from the outer viewpoint), camera turned away so the whole wall is outer frustum. The cube face is 2048 px
(4× minified on the wall) against a reference whose face is 512 px (about one texel per LED pixel, no
minification): with mipmaps the two agree in the ground region; point-sampling the 2048 px face (no mip chain)
leaves most of the grid's high-frequency energy as aliasing.
"""

from __future__ import annotations

import numpy as np
import pytest

import renderer.gl.stage_renderer as stage_renderer
from renderer.gl import GLContext
from renderer.gl.targets import mip_levels
from renderer.offline import render_frame
from renderer.views import CameraState
from stage.core.config.loader import load_scene_config, load_stage_config
from stage.core.lens import LensSolver

MAX_GROUND_RMS = 4.0
"""RMS difference (8-bit levels) allowed between the minified and the 1:1 rendering of the ground region; it was
7.5 without the mip chain, 2.2 with it (llvmpipe)."""


def test_mip_levels_reach_one_texel() -> None:
    assert [mip_levels(n) for n in (1, 2, 64, 128, 2048)] == [1, 2, 7, 8, 12]


def _ground(repo, context: GLContext, face_px: int, monkeypatch: pytest.MonkeyPatch) -> np.ndarray:
    config = load_stage_config(repo / "configs/demo.yaml")
    scene = load_scene_config(repo / "scenes/calibration.yaml")
    camera = config.cameras[0]
    lens = LensSolver(camera.lens)()
    state = CameraState(camera=camera.id, position_m=(0.0, 0.5, 1.6), rotation_deg=(180.0, 0.0, 0.0),
                        focal_length_mm=lens.focal_length_mm, sensor_mm=camera.sensor_mm,
                        entrance_pupil_m=lens.entrance_pupil_m, priority=camera.priority)
    monkeypatch.setattr(stage_renderer, "outer_face_size", lambda walls, scale: face_px)
    context.make_current()
    main = render_frame(config, scene, [state], None, 0.0, 64, context=context).walls["main"]
    return main[-40:, :, :3].astype(float)  # the bottom rows: floor grid seen through the wall


@pytest.mark.gl
def test_minified_outer_cube_matches_unminified_reference(repo, gl_session_context: GLContext,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    reference = _ground(repo, gl_session_context, 512, monkeypatch)
    minified = _ground(repo, gl_session_context, 2048, monkeypatch)
    rms = float(np.sqrt(np.mean((minified - reference) ** 2)))
    assert rms < MAX_GROUND_RMS, f"ground grid aliased: RMS {rms:.1f} vs the 1:1 reference"
