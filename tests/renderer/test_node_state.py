"""Live state reaching a running render node: snapshots apply, out-of-order deltas are ignored, garbage is counted."""

from __future__ import annotations

import pytest
import zmq

from stage.core.config.loader import load_stage_config
from stage.core.live import LiveState, WallLive
from stage.core.wire.state import encode_delta, encode_snapshot
from tests.renderer.node_helpers import (
    MAIN_RECT,
    SIDE_RECT,
    bound,
    region,
    snapshot,
    start_node,
    stop,
    wait_stats,
    write_tiny_config,
)

pytestmark = pytest.mark.gl


@pytest.fixture
def zctx():
    ctx = zmq.Context()
    yield ctx
    ctx.destroy(linger=0)


def test_state_snapshot_delta_and_garbage(tmp_path, zctx) -> None:
    config_path = write_tiny_config(tmp_path)
    state_pub, state_ep = bound(zctx, zmq.PUB)
    stats_sub, stats_ep = bound(zctx, zmq.SUB)
    snap_dir = tmp_path / "snap"
    proc = start_node(config_path, "--state", state_ep, "--stats", stats_ep, "--pose", "tcp://127.0.0.1:9",
                      "--snapshot-dir", str(snap_dir))
    try:
        before = snapshot(proc, snap_dir, 1)
        assert region(before, SIDE_RECT).any() and region(before, MAIN_RECT).any()

        live = LiveState.from_config(load_stage_config(config_path))
        live.walls["side"] = WallLive(enabled=False)
        stats = wait_stats(stats_sub, lambda s: s.state_rev == 7,
                           tick=lambda: state_pub.send_multipart(encode_snapshot(7, live)))
        assert stats.state_ignored == 0
        after = snapshot(proc, snap_dir, 2)
        assert not region(after, SIDE_RECT).any(), "a disabled wall is black"
        assert (region(after, MAIN_RECT) == region(before, MAIN_RECT)).all(), "the other wall is untouched"

        state_pub.send_multipart(encode_delta(9, 8, {"walls.side.enabled": True}))  # wrong base: ignored
        state_pub.send_multipart([b"state/snapshot", b"{not json"])
        state_pub.send_multipart([b"state/snapshot"])  # one frame
        state_pub.send_multipart(encode_delta(8, 7, {"walls.nope.brightness": "bright"}))  # right base, bad value
        stats = wait_stats(stats_sub, lambda s: s.rejects.get("state", 0) >= 3 and s.state_ignored >= 1)
        assert stats.state_rev == 7
        later = wait_stats(stats_sub, lambda s: s.frame > stats.frame)
        assert later.fps > 0
        assert not region(snapshot(proc, snap_dir, 3), SIDE_RECT).any()

        state_pub.send_multipart(encode_delta(8, 7, {"walls.side.enabled": True, "walls.side.brightness": 0.5}))
        wait_stats(stats_sub, lambda s: s.state_rev == 8)
        dimmer = region(snapshot(proc, snap_dir, 4), SIDE_RECT).astype(int)
        assert 0 < dimmer.sum() < region(before, SIDE_RECT).astype(int).sum()
        assert stop(proc) == 0
    finally:
        proc.kill()
