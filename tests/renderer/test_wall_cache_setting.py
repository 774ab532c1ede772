"""``render.wall_cache``: on (the default) walls keep their picture outside the inner frusta between frames; off,
every LED pixel goes through the full pass every frame and no cache memory is held. The picture is the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from renderer.frame import build_frame
from renderer.gl.stage_renderer import StageRenderer, outer_face_size
from renderer.node_outputs import RenderGroup
from renderer.views import CameraState
from stage.core.config.errors import ConfigError
from stage.core.config.loader import load_scene_config, load_stage_config
from stage.core.live import LiveState

REPO = Path(__file__).resolve().parents[2]
CONFIG_PATH = REPO / "configs" / "demo.yaml"
SCENE = load_scene_config(REPO / "scenes" / "demo.yaml")
CAMERA = CameraState("A", (0.0, 0.5, 1.6), (4.0, 2.0, 0.0), 24.0, (24.89, 14.0), 0.12)


def _config(tmp_path: Path, wall_cache: str | None):
    """The demo stage, written to ``tmp_path`` with ``render.wall_cache: <wall_cache>`` (``None``: unset)."""
    text = CONFIG_PATH.read_text(encoding="utf-8").replace("scene: ../scenes/demo.yaml",
                                                           f"scene: {REPO / 'scenes' / 'demo.yaml'}")
    if wall_cache is not None:
        text = text.replace("  inner: {resolution_px:", f"  wall_cache: {wall_cache}\n  inner: {{resolution_px:", 1)
    path = tmp_path / f"stage-{wall_cache}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_stage_config(path)


def test_the_cache_is_on_by_default_and_can_be_turned_off(tmp_path: Path) -> None:
    assert _config(tmp_path, None).render.wall_cache is True
    assert _config(tmp_path, "false").render.wall_cache is False


def test_a_wall_cache_that_is_not_a_boolean_is_a_one_line_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        _config(tmp_path, "sometimes")
    message = str(err.value)
    assert "stage-sometimes.yaml:" in message and "render.wall_cache" in message
    assert len(message.splitlines()) == 1


def _three_frames(config, wall_cache: bool) -> tuple[dict[str, np.ndarray], int]:
    """Each wall after three identical frames (the third is drawn from the caches when they are on), and how
    many walls hold caches."""
    frame = build_frame(config, SCENE, LiveState.from_config(config), [CAMERA])
    walls = list(config.walls)
    renderer = StageRenderer(SCENE, walls, config.render.inner.resolution_px, 1,
                             outer_face_size(walls, config.render.outer.resolution_scale), config.color, wall_cache)
    try:
        renderer.prepare(frame)
        images = {}
        for _ in range(3):
            for wall in walls:
                fb = renderer.wall_image(wall.name, frame)
                images[wall.name] = fb.read()
                fb.delete()
        return images, len(renderer.compositor._outer_caches)
    finally:
        renderer.delete()


@pytest.mark.gl
def test_walls_without_the_cache_are_the_same_picture_and_hold_no_cache(gl_context, tmp_path: Path) -> None:
    config = _config(tmp_path, None)
    cached, cached_walls = _three_frames(config, True)
    plain, plain_walls = _three_frames(config, False)
    assert cached_walls == len(config.walls) and plain_walls == 0
    for name, image in cached.items():
        assert np.array_equal(image, plain[name]), name


@pytest.mark.gl
def test_a_render_node_follows_the_setting(gl_context, tmp_path: Path) -> None:
    for setting in (True, False):
        config = _config(tmp_path, str(setting).lower())
        group = RenderGroup(gl_context, config, SCENE, list(config.walls), [])
        try:
            assert group.renderer.compositor.cache_outer is setting
        finally:
            group.close()
