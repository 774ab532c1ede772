"""The render node in a window on an Xvfb of its own: starts windowed, draws exactly what the headless node draws,
reports stats, exits 0 on SIGTERM."""

from __future__ import annotations

import numpy as np
import pytest
import zmq

from tests.renderer.node_helpers import (
    MAIN_RECT,
    SIDE_RECT,
    bound,
    headless_node_image,
    region,
    snapshot,
    snapshot_record,
    start_node,
    stop,
    wait_stats,
    write_tiny_config,
)

pytestmark = [pytest.mark.gl, pytest.mark.windowed]


def test_windowed_node_draws_what_the_headless_node_draws(tmp_path, xvfb_display, gl_context) -> None:
    config_path = write_tiny_config(tmp_path)
    ctx = zmq.Context()
    try:
        stats_sub, stats_ep = bound(ctx, zmq.SUB)
        snap_dir = tmp_path / "snap"
        proc = start_node(config_path, "--stats", stats_ep, "--pose", "tcp://127.0.0.1:9", "--state",
                          "tcp://127.0.0.1:9", "--snapshot-dir", str(snap_dir), display="--windowed",
                          env={"DISPLAY": xvfb_display, "WAYLAND_DISPLAY": ""})
        try:
            assert any("(windowed)" in line for line in proc.lines)
            stats = wait_stats(stats_sub, lambda s: s.frame > 0 and s.fps > 0)
            assert stats.display == "windowed"
            window = snapshot(proc, snap_dir, 1)
            record = snapshot_record(snap_dir, 1)
            assert stop(proc) == 0
        finally:
            proc.kill()
    finally:
        ctx.destroy(linger=0)

    expected = headless_node_image(config_path, record["time_s"])[1][:, :, :3]
    gl_context.make_current()
    assert record["cameras"] == [] and window.shape == expected.shape
    for name, rect in (("main", MAIN_RECT), ("side", SIDE_RECT)):
        assert region(window, rect).std() > 5.0, f"wall {name} shows the scene, not a flat colour"
    diff = np.abs(window.astype(int) - expected.astype(int)).max(axis=2)
    assert (diff == 0).all(), f"the window differs from the headless node: {(diff > 0).sum()} px (max {diff.max()})"
