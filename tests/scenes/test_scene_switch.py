"""Scene switch off the frame loop: the old scene keeps drawing while a (deliberately slow) load runs in the
worker thread, then the new scene appears after one upload; a failed load keeps the old scene."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from renderer.node_outputs import NodeRenderer
from renderer.scene_loader import SceneLoader, load_prepared
from stage.core.config.loader import load_scene_config, load_stage_config
from stage.core.live import LiveState
from tests.renderer.node_helpers import NODE, write_tiny_config

pytestmark = pytest.mark.gl

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 20.0


def test_old_scene_keeps_drawing_until_the_new_one_is_ready(tmp_path: Path) -> None:
    config = load_stage_config(write_tiny_config(tmp_path))
    release = threading.Event()

    def slow_load(path: Path):
        assert release.wait(TIMEOUT_S)
        return load_prepared(path)

    loader = SceneLoader(slow_load)
    node = NodeRenderer(config, load_scene_config(REPO / "scenes" / "demo.yaml"), NODE, "headless",
                        LiveState.from_config(config))
    try:
        node.draw([])
        before = node.images()["o1"]
        loader.request(REPO / "scenes" / "night-city.yaml")
        frames = 0
        for _ in range(4):  # the frame loop goes on; the old scene is drawn
            assert loader.poll() is None
            node.draw([])
            frames += 1
            assert np.array_equal(node.images()["o1"], before)
        release.set()
        deadline = time.monotonic() + TIMEOUT_S
        while (result := loader.poll()) is None:
            assert time.monotonic() < deadline
            node.draw([])
            frames += 1
            time.sleep(0.005)
        assert frames >= 4 and result.error is None and result.prepared is not None and result.load_s > 0
        node.apply_state(node.live, result.prepared)
        node.draw([])
        after = node.images()["o1"]
        assert node.scene.name == "Night city"
        assert np.abs(after.astype(int) - before.astype(int)).mean() > 10

        loader.request(tmp_path / "missing.yaml")
        while (failed := loader.poll()) is None:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        assert failed.prepared is None and "file not found" in (failed.error or "")
    finally:
        release.set()
        node.close()
        loader.close()
