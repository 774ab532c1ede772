"""The render node in a window on Xvfb: starts windowed, draws, reports stats, exits 0 on SIGTERM."""

from __future__ import annotations

import pytest
import zmq

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

pytestmark = [pytest.mark.gl, pytest.mark.windowed]


def test_windowed_node_draws_and_stops_cleanly(tmp_path, xvfb_display) -> None:
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
            assert region(snapshot(proc, snap_dir, 1), MAIN_RECT).any(), "the window shows the wall"
            assert stop(proc) == 0
        finally:
            proc.kill()
    finally:
        ctx.destroy(linger=0)
