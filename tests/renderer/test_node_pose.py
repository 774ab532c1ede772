"""The render node as a real process fed by real pose streams on loopback."""

from __future__ import annotations

import signal
from dataclasses import replace

import numpy as np
import pytest
import zmq

from renderer.offline import render_frame
from renderer.views import CameraState
from stage.core.config.loader import load_scene_config, load_stage_config
from tests.procs import Proc
from tests.renderer.node_helpers import (
    MAIN_RECT,
    SIDE_RECT,
    bound,
    pose_frames,
    region,
    snapshot,
    start_node,
    stop,
    wait_stats,
    write_tiny_config,
)

pytestmark = pytest.mark.gl

POSITION_M = (0.3, 0.5, 1.6)
ROTATION_DEG = (8.0, 2.0, 0.0)


@pytest.fixture
def zctx():
    ctx = zmq.Context()
    yield ctx
    ctx.destroy(linger=0)


def test_fixed_pose_walls_equal_offline_render(tmp_path, zctx, gl_context) -> None:
    config_path = write_tiny_config(tmp_path)
    pub, pose_ep = bound(zctx, zmq.PUB)
    stats_sub, stats_ep = bound(zctx, zmq.SUB)
    snap_dir = tmp_path / "snap"
    proc = start_node(config_path, "--pose", pose_ep, "--stats", stats_ep, "--state", "tcp://127.0.0.1:9",
                      "--snapshot-dir", str(snap_dir))
    try:
        seq = iter(range(1, 1_000_000))
        stats = wait_stats(stats_sub, lambda s: "cam1" in s.pose_age_ms,
                           tick=lambda: pub.send_multipart(pose_frames("cam1", POSITION_M, ROTATION_DEG, next(seq))))
        assert stats.fps > 0 and stats.frame > 0 and stats.display == "headless"
        assert stats.pose_to_frame_ms_p50 is not None and stats.stale_cameras == []
        image = snapshot(proc, snap_dir, 1)
        assert stop(proc) == 0
    finally:
        proc.kill()

    config = load_stage_config(config_path)
    cam = CameraState(camera="cam1", position_m=POSITION_M, rotation_deg=ROTATION_DEG, focal_length_mm=24.0,
                      sensor_mm=(24.89, 14.0), entrance_pupil_m=0.12)
    expected = render_frame(config, load_scene_config(config.scene), [cam], camera_width_px=32, context=gl_context)
    for name, rect in (("main", MAIN_RECT), ("side", SIDE_RECT)):
        got = region(image, rect).astype(int)
        want = expected.walls[name][:, :, :3].astype(int)
        diff = np.abs(got - want)
        assert (diff == 0).all(), f"{name}: {(diff > 0).sum()} values differ from the offline render (max {diff.max()})"
    assert not region(image, (0, 0, 200, 8)).any(), "pixels outside the walls must stay black"
    moved = render_frame(config, load_scene_config(config.scene), [replace(cam, rotation_deg=(-20.0, 0.0, 0.0))],
                         camera_width_px=32, context=gl_context)
    changed = np.abs(region(image, MAIN_RECT).astype(int) - moved.walls["main"][:, :, :3]).max(axis=2) > 8
    assert changed.mean() > 0.05, "the pose must matter: another pose gives another main wall"


def test_tracking_daemon_feeds_the_node_and_its_death_leaves_the_node_drawing(tmp_path, zctx) -> None:
    config_path = write_tiny_config(tmp_path)
    daemon = Proc(["-m", "tracking", "--source", "sim://orbit?rate_hz=60&name=simcam", "--publish",
                   "tcp://127.0.0.1:*"])
    node = None
    try:
        pose_ep = daemon.wait_for(r"publishing on (tcp://127\.0\.0\.1:\d+)").group(1)
        stats_sub, stats_ep = bound(zctx, zmq.SUB)
        node = start_node(config_path, "--pose", pose_ep, "--stats", stats_ep, "--state", "tcp://127.0.0.1:9")
        live = wait_stats(stats_sub, lambda s: "simcam" in s.pose_age_ms and s.fps > 0)
        assert live.pose_age_ms["simcam"] < 500 and live.stale_cameras == []
        daemon.signal(signal.SIGKILL)
        daemon.wait(5)
        dead = wait_stats(stats_sub, lambda s: "simcam" in s.stale_cameras, timeout_s=5.0)
        later = wait_stats(stats_sub, lambda s: s.frame > dead.frame, timeout_s=5.0)
        assert later.fps > 0 and "simcam" in later.stale_cameras
        assert later.pose_age_ms["simcam"] > dead.pose_age_ms["simcam"] >= 400
        assert stop(node) == 0
    finally:
        daemon.kill()
        if node is not None:
            node.kill()
