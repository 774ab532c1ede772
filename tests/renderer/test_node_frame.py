"""The live node's frame equals ``stage render`` of the same inputs, pixel for pixel, with a non-default live state.

A real render node process gets a live state (exposure, white balance and tint, time of day, overscan, soft edge,
scene placement, wall brightness, light cards; then the same with the chroma key) over its state socket and a pose
over its pose socket, on the gallery scene whose sculpture spins (``spin_deg_per_s``). Its snapshot records the
frame's scene time and camera (``n1-frame.NNNN.json``); ``stage render`` is then run with that pose, ``--time`` and the
same live parameters as ``--set``. Both run on Mesa llvmpipe, so every wall pixel must be identical: a node that
ignored any one live parameter, or the scene time, would differ (see docs/rendering.md, "One frame builder").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zmq
from PIL import Image

from stage.core.config.loader import load_stage_config
from stage.core.live import LiveState
from stage.core.wire.state import apply_changes, encode_snapshot
from tests.renderer.node_helpers import (
    MAIN_RECT,
    SIDE_RECT,
    bound,
    pose_frames,
    region,
    snapshot,
    snapshot_record,
    start_node,
    stop,
    wait_stats,
    write_tiny_config,
)

pytestmark = pytest.mark.gl

REPO = Path(__file__).resolve().parents[2]
SCENE = REPO / "scenes" / "gallery.yaml"
POSITION_M = (0.3, 0.4, 1.5)
ROTATION_DEG = (6.0, 3.0, 0.0)
KEY_CARD = {"name": "key", "wall": "main", "center_uv": [0.15, 0.35], "size_m": [1.2, 0.9],
            "color": [1.0, 0.8, 0.6], "intensity": 1.5}
RIM_CARD = {"name": "rim", "azimuth_deg": 20.0, "elevation_deg": 15.0, "shape": "ellipse", "size_m": [1.0, 0.8],
            "softness": 0.4, "color": [0.5, 0.7, 1.0]}
LOOK = {
    "exposure_ev": 0.6,
    "white_balance_k": 4300.0,
    "tint": 0.2,
    "time_of_day_h": 9.5,
    "overscan_pct": 30.0,
    "soft_edge_pct": 12.0,
    "offset_m": [0.2, 0.5, 0.0],
    "yaw_deg": 6.0,
    "scale": 1.1,
    "walls.side.brightness": 0.6,
    "light_cards.key": KEY_CARD,
    "light_cards.rim": RIM_CARD,
}
"""Every live parameter a wall shows, none at its default."""
STATES = {"key": {**LOOK, "chroma_key": True}, "look": LOOK}


@pytest.fixture
def zctx():
    ctx = zmq.Context()
    yield ctx
    ctx.destroy(linger=0)


def stage_render(config: Path, record: dict, changes: dict, out: Path) -> dict[str, np.ndarray]:
    """``stage render`` of the recorded camera and scene time with ``changes`` as ``--set``; wall images, RGB."""
    cam = record["cameras"][0]
    pose = ",".join(repr(float(v)) for v in (*cam["position_m"], *cam["rotation_deg"]))
    sets = [f"--set={path}={json.dumps(value)}" for path, value in changes.items()]
    proc = subprocess.run([sys.executable, "-m", "stage.app.cli", "render", str(config), "--scene", str(SCENE),
                           f"--pose={pose}", "--focal-length", repr(cam["focal_length_mm"]), "--time",
                           repr(record["time_s"]), "--camera-width", "32", "--out", str(out), *sets],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    walls = {}
    for name in ("main", "side"):
        with Image.open(out / "walls" / f"{name}.png") as image:
            walls[name] = np.asarray(image.convert("RGB"))
    return walls


def test_node_frame_equals_stage_render_with_live_state(tmp_path: Path, zctx) -> None:
    config_path = write_tiny_config(tmp_path)
    config = load_stage_config(config_path)
    pose_pub, pose_ep = bound(zctx, zmq.PUB)
    state_pub, state_ep = bound(zctx, zmq.PUB)
    stats_sub, stats_ep = bound(zctx, zmq.SUB)
    snap_dir = tmp_path / "snap"
    proc = start_node(config_path, "--scene", str(SCENE), "--pose", pose_ep, "--state", state_ep, "--stats",
                      stats_ep, "--snapshot-dir", str(snap_dir))
    seq = iter(range(1, 1_000_000))
    snapshots, count = {}, 0
    try:
        for rev, (name, changes) in enumerate(STATES.items(), start=1):
            live = apply_changes(LiveState.from_config(config, scene=str(SCENE)), changes)

            def tick(rev=rev, live=live) -> None:
                pose_pub.send_multipart(pose_frames("cam1", POSITION_M, ROTATION_DEG, next(seq)))
                state_pub.send_multipart(encode_snapshot(rev, live))

            stats = wait_stats(stats_sub, lambda s, rev=rev: s.state_rev == rev and "cam1" in s.pose_age_ms,
                               tick=tick)
            count += 1
            image = snapshot(proc, snap_dir, count)
            record = snapshot_record(snap_dir, count)
            assert record["state_rev"] == rev and record["time_s"] > 1e9  # scene time: the frame start, Unix clock
            snapshots[name] = (image, record)
        # Same pose and state a moment later: the sculpture has turned on the live wall (the scene is animated).
        wait_stats(stats_sub, lambda s: s.frame > stats.frame + 15, tick=tick)
        later, later_record = snapshot(proc, snap_dir, count + 1), snapshot_record(snap_dir, count + 1)
        assert later_record["time_s"] > record["time_s"] + 0.3
        turned = np.abs(region(later, MAIN_RECT).astype(int) - region(image, MAIN_RECT)).max(axis=2) > 8
        assert turned.sum() > 20, "the spinning sculpture must move on a live wall"
        assert stop(proc) == 0
    finally:
        proc.kill()

    default = None
    for name, (image, record) in snapshots.items():
        expected = stage_render(config_path, record, STATES[name], tmp_path / name)
        for wall, rect in (("main", MAIN_RECT), ("side", SIDE_RECT)):
            got = region(image, rect)
            diff = np.abs(got.astype(int) - expected[wall].astype(int)).max(axis=2)
            assert (diff == 0).all(), (f"{name}: wall {wall}: {(diff > 0).sum()} of {diff.size} pixels differ from "
                                       f"stage render (max {diff.max()})")
        if default is None:  # the live state is really not the default one
            default = stage_render(config_path, record, {}, tmp_path / "default")
            for wall, rect in (("main", MAIN_RECT), ("side", SIDE_RECT)):
                changed = np.abs(region(image, rect).astype(int) - default[wall]).max(axis=2) > 8
                assert changed.mean() > 0.3, f"{wall}: the live state should change most of the wall"
