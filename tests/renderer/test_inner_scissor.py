"""The inner frustum is rendered only where the renderer's walls can sample it, and the walls stay exact.

One wall of the curved volume (node ``n2`` of ``tests/data/curved-small.yaml``: the wall left of centre), a camera
looking at the middle of the volume: the wall shows the left part of the camera image. The inner layer is first
filled with a sentinel colour; after a scissored render the sentinel is still there outside the rectangle
(so the scene pass really skipped it) and the wall image equals, byte for byte, the wall drawn from a full render
(so no wall pixel read a texel outside it).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from renderer.frame import build_frame
from renderer.gl.resources import read_pixels
from renderer.gl.stage_renderer import StageRenderer, outer_face_size
from renderer.views import CameraState
from stage.core.config.loader import load_scene_config, load_stage_config
from stage.core.live import LiveState

pytestmark = pytest.mark.gl

REPO = Path(__file__).resolve().parents[2]
CONFIG = load_stage_config(REPO / "tests" / "data" / "curved-small.yaml")
SCENE = load_scene_config(REPO / "scenes" / "demo.yaml")
CAMERA = CameraState("A", (0.0, 0.5, 1.6), (5.0, 0.0, 0.0), 24.0, (24.89, 14.0), 0.12)
INNER_PX = (256, 178)
SENTINEL = (1.0, 0.0, 1.0, 1.0)


def _inner_layer(renderer: StageRenderer) -> np.ndarray:
    renderer.inner.bind_layer(0)
    return read_pixels(*INNER_PX, dtype=np.float32, framebuffer=SimpleNamespace(handle=renderer.inner.fbo))


def _fill_sentinel(renderer: StageRenderer) -> None:
    from OpenGL import GL

    renderer.inner.bind_layer(0)
    GL.glClearColor(*SENTINEL)
    GL.glClear(GL.GL_COLOR_BUFFER_BIT)


def _wall(renderer: StageRenderer, frame) -> np.ndarray:
    fb = renderer.wall_image("main-2", frame)
    try:
        return fb.read()
    finally:
        fb.delete()


def test_scissored_inner_render_gives_the_same_wall(gl_context) -> None:
    walls = [w for w in CONFIG.walls if w.output.node == "n2"]
    live = LiveState.from_config(CONFIG)
    frame = build_frame(CONFIG, SCENE, live, [CAMERA])
    renderer = StageRenderer(SCENE, walls, INNER_PX, 1, outer_face_size(list(CONFIG.walls), 0.5))
    try:
        renderer.scissor_inner = False
        renderer.prepare(frame)
        assert renderer.inner_rects[0] == (0, 0, *INNER_PX)
        full = _wall(renderer, frame)

        renderer.scissor_inner = True
        _fill_sentinel(renderer)
        renderer.prepare(frame)
        x0, y0, x1, y1 = renderer.inner_rects[0]
        assert x0 == 0 and x1 < 0.75 * INNER_PX[0], "the wall left of centre shows the left part of the image"
        layer = _inner_layer(renderer)[::-1]  # row 0 = GL row 0 (bottom), as the rectangle counts
        outside = np.ones(INNER_PX[::-1], bool)
        outside[y0:y1, x0:x1] = False
        assert np.all(layer[outside] == SENTINEL)
        assert not np.any(np.all(layer[~outside] == SENTINEL, axis=-1))
        assert np.array_equal(_wall(renderer, frame), full)
        assert full[..., :3].std() > 10  # a real picture, not a blank wall

        _fill_sentinel(renderer)
        away = build_frame(CONFIG, SCENE, live, [CameraState("A", (0.0, 0.5, 1.6), (180.0, 0.0, 0.0), 24.0,
                                                             (24.89, 14.0), 0.12)])
        renderer.prepare(away)  # looking at the back of the volume: the wall is not in the frustum
        assert renderer.inner_rects[0] is None
        assert np.all(_inner_layer(renderer) == SENTINEL)
    finally:
        renderer.delete()
