"""Every shipped scene on every shipped config: `stage render` (offline) and a live render node switching scenes
through the live state."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zmq

from renderer.gl import create_context
from renderer.incamera import compare, recompose
from renderer.offline import render_frame, render_json
from renderer.views import CameraState
from stage.core.config import load_scene_config, load_stage_config
from stage.core.lens import LensSolver
from stage.core.live import LiveState
from stage.core.wire.state import encode_snapshot
from tests.renderer.node_helpers import (
    MAIN_RECT,
    bound,
    region,
    snapshot,
    start_node,
    stop,
    wait_stats,
    write_tiny_config,
)

pytestmark = pytest.mark.gl

REPO = Path(__file__).resolve().parents[2]
SCENES = sorted((REPO / "scenes").glob("*.yaml"))
FAST_CONFIGS = ["configs/demo.yaml", "configs/flat-wall.yaml"]


def _camera(config) -> CameraState:
    cam = config.cameras[0]
    lens = LensSolver(cam.lens)()
    return CameraState(camera=cam.id, position_m=(0.0, 0.5, 1.7), rotation_deg=(0.0, 3.0, 0.0),
                       focal_length_mm=lens.focal_length_mm, sensor_mm=cam.sensor_mm,
                       entrance_pupil_m=lens.entrance_pupil_m)


MIN_INCAMERA_PSNR_DB = 20.0
"""The walls, seen from the camera (renderer.incamera), must recompose its view at least this well; a checker
scene at 160 px resamples worst (about 22 dB), a wall showing the wrong place or nothing scores far lower."""
MIN_SCENE_DIFFERENCE = 2.0
"""Mean absolute difference (8-bit levels) that each wall must show between any two scenes."""


def _check(config_path: str, scenes: list[Path]) -> None:
    config = load_stage_config(REPO / config_path)
    camera = _camera(config)
    walls: dict[str, dict[str, np.ndarray]] = {}
    ctx = create_context("headless")
    try:
        for scene_path in scenes:
            result = render_frame(config, load_scene_config(scene_path), [camera], camera_width_px=160, context=ctx)
            seen = compare(*recompose(render_json(config, result, camera), result.walls), result.camera)
            assert seen.coverage > 0.5, f"{config_path} + {scene_path.name}: the camera should see mostly wall"
            assert seen.psnr_db >= MIN_INCAMERA_PSNR_DB, (
                f"{config_path} + {scene_path.name}: the walls do not show what the camera should see "
                f"(in-camera PSNR {seen.psnr_db:.1f} dB < {MIN_INCAMERA_PSNR_DB})")
            walls[scene_path.name] = {n: image[..., :3].astype(int) for n, image in result.walls.items()}
    finally:
        ctx.close()
    names = sorted(walls)
    for a, b in ((a, b) for i, a in enumerate(names) for b in names[i + 1:]):
        for wall, image in walls[a].items():
            difference = np.abs(image - walls[b][wall]).mean()
            assert difference > MIN_SCENE_DIFFERENCE, f"{config_path}: wall {wall} looks the same in {a} and {b}"


@pytest.mark.parametrize("config_path", FAST_CONFIGS)
def test_every_scene_renders_on_config(config_path: str) -> None:
    _check(config_path, SCENES)


def test_a_scene_renders_on_the_full_curved_volume() -> None:
    _check("configs/volume-curved.yaml", [REPO / "scenes" / "night-city.yaml"])


@pytest.mark.slow
def test_every_scene_renders_on_the_full_curved_volume() -> None:
    _check("configs/volume-curved.yaml", SCENES)


def test_live_node_switches_through_every_shipped_scene(tmp_path) -> None:
    config_path = write_tiny_config(tmp_path)
    zctx = zmq.Context()
    state_pub, state_ep = bound(zctx, zmq.PUB)
    stats_sub, stats_ep = bound(zctx, zmq.SUB)
    snap_dir = tmp_path / "snap"
    proc = start_node(config_path, "--state", state_ep, "--stats", stats_ep, "--pose", "tcp://127.0.0.1:9",
                      "--snapshot-dir", str(snap_dir))
    try:
        live = LiveState.from_config(load_stage_config(config_path))
        seen = []
        for rev, scene_path in enumerate(SCENES, start=1):
            live.scene = str(scene_path)
            wait_stats(stats_sub, lambda s, p=scene_path: s.scene is not None and Path(s.scene) == p,
                       timeout_s=20.0, tick=lambda r=rev: state_pub.send_multipart(encode_snapshot(r, live)))
            image = region(snapshot(proc, snap_dir, rev), MAIN_RECT)
            assert image.std() > 1.0, scene_path.name
            seen.append(image)
        assert all(np.abs(a.astype(int) - b.astype(int)).mean() > 1.0 for a, b in zip(seen, seen[1:], strict=False))
        assert not any("Traceback" in line for line in proc.lines)
    finally:
        stop(proc)
        zctx.destroy(linger=0)
