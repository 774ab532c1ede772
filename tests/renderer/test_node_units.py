"""Pure parts of the render node: frame statistics, pacing, the stats wire format, pose latching, wall placement."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from renderer.frame_stats import FrameStats, Pacer, missed_deadlines, percentile
from renderer.node import build_parser
from renderer.node_outputs import NodeSetupError, Output, node_walls, write_snapshots
from stage.core.config.loader import load_stage_config
from stage.core.pose_latch import STALE_AFTER_S, PoseLatch, RejectCounter
from stage.core.wire.pose import WireError
from stage.core.wire.render_stats import RenderStats, decode, encode
from tests.renderer.node_helpers import pose_frames, write_tiny_config


def test_percentile_matches_numpy() -> None:
    values = [5.0, 1.0, 9.0, 3.0, 7.5, 2.0]
    for pct in (0, 10, 50, 90, 99, 100):
        assert percentile(values, pct) == pytest.approx(np.percentile(values, pct))
    assert percentile([], 50) is None


def test_missed_deadlines() -> None:
    assert missed_deadlines(1.0, 1.0, 0.01) == 0
    assert missed_deadlines(1.005, 1.0, 0.01) == 1
    assert missed_deadlines(1.025, 1.0, 0.01) == 3


def test_frame_stats_interval() -> None:
    stats = FrameStats(start_s=10.0)
    for i in range(30):
        t = 10.0 + i / 30
        stats.frame_done(t, t + 0.004, t + 0.01, 1 / 30, {"A": 12.0}, [5.0])
    stats.frame_done(11.0, 11.1, 11.01, 1 / 30, {"A": 20.0}, [])
    summary = stats.interval(11.0)
    assert summary.frames == 31 and summary.fps == pytest.approx(31.0)
    assert summary.frame_ms_p50 == pytest.approx(4.0) and summary.frame_ms_p99 > 4.0
    assert summary.pose_to_frame_ms_p50 == 5.0
    assert stats.missed_frames == 3 and stats.pose_age_ms == {"A": 20.0}
    assert stats.interval(12.0).frames == 0


def test_pacer_latches_late_and_skips_lost_deadlines() -> None:
    pacer = Pacer(100.0, now_s=0.0)
    assert pacer.deadline_s == pytest.approx(0.01)
    pacer.advance(0.0, 0.003)
    assert pacer.deadline_s == pytest.approx(0.02)
    assert pacer.wake_at() == pytest.approx(0.02 - 0.003 - 0.002)
    pacer.advance(0.015, 0.047)  # a very slow frame: deadlines at 0.03 and 0.04 are lost, not queued
    assert pacer.deadline_s == pytest.approx(0.05)


def test_render_stats_round_trip_and_errors() -> None:
    stats = RenderStats(v=1, node="n1", t_pub=1.0, uptime_s=2.0, display="headless", scene=None, state_rev=-1,
                        frame=3, fps=59.9, frame_ms_p50=4.0, frame_ms_p99=None, missed_frames=0,
                        pose_age_ms={"A": 8.0}, pose_to_frame_ms_p50=None, pose_to_frame_ms_p99=None,
                        stale_cameras=[], rejects={}, state_ignored=0)
    frames = encode(stats)
    assert frames[0] == b"render/n1" and decode(frames) == stats
    with pytest.raises(WireError, match="does not match"):
        decode([b"render/other", frames[1]])
    with pytest.raises(WireError, match="fps"):
        decode([b"render/n1", orjson.dumps({**orjson.loads(frames[1]), "fps": -1})])
    with pytest.raises(WireError):
        decode([b"render/n1"])


def test_pose_latch_keeps_newest_and_counts_garbage() -> None:
    rejects = RejectCounter()
    latch = PoseLatch(rejects)
    assert latch.feed(pose_frames("A", (0, 0, 1), (0, 0, 0), seq=1), 100.0)
    assert latch.feed(pose_frames("A", (0, 0, 2), (0, 0, 0), seq=2), 100.0)
    assert not latch.feed([b"pose/A", b"{"], 100.0)
    assert not latch.feed([b"pose/B", pose_frames("A", (0, 0, 3), (0, 0, 0))[1]], 100.0)
    assert latch.poses["A"].message.seq == 2 and rejects.counts == {"pose": 2}
    assert not latch.poses["A"].stale(100.0) and latch.poses["A"].stale(100.0 + STALE_AFTER_S + 0.01)


def test_pose_latch_per_camera_delay() -> None:
    latch = PoseLatch(RejectCounter())
    for i in range(20):  # 50 Hz for 0.4 s, two cameras
        latch.feed(pose_frames("A", (i * 0.1, 0, 1), (0, 0, 0), seq=i), 100.0 + i * 0.02)
        latch.feed(pose_frames("B", (i * 0.1, 0, 1), (0, 0, 0), seq=i), 100.0 + i * 0.02)
    now = 100.0 + 19 * 0.02
    out = latch.delayed(now, {"A": 100.0})
    assert out["B"].message.seq == 19  # no delay: newest
    assert out["A"].message.seq == 14  # newest that arrived ≥ 100 ms ago
    assert latch.delayed(now, {"A": 0.0})["A"].message.seq == 19
    assert latch.delayed(now, {"A": 1000.0})["A"].message.seq == 0  # not enough history yet: the oldest kept


def test_walls_go_to_their_outputs_at_gl_origins(tmp_path) -> None:
    config = load_stage_config(write_tiny_config(tmp_path))
    by_output = node_walls(config, "n1")
    assert [(w.name, off) for w, off in by_output["o1"]] == [("main", (0, 8)), ("side", (140, 8))]
    out = Output("o1", (200, 80), by_output["o1"])
    assert out.origin_gl(*by_output["o1"][0]) == (0, 80 - 8 - 64)
    with pytest.raises(NodeSetupError, match="no node"):
        node_walls(config, "elsewhere")


def test_cli_and_scene_paths(tmp_path) -> None:
    args = build_parser().parse_args(["c.yaml", "--node", "n", "--headless", "--duration", "2"])
    assert args.display == "headless" and args.duration == 2.0
    with pytest.raises(SystemExit):
        build_parser().parse_args(["c.yaml", "--node", "n", "--headless", "--windowed"])
    # scene paths: tests/config/test_scene_path.py (one resolver for every command and the node)


def test_every_snapshot_keeps_its_own_numbered_files(tmp_path) -> None:
    """SIGUSR1 twice: two numbered PNGs per output and two frame records, none overwritten (issue 13); the
    unnumbered names are the newest (what ``stage demo`` watches)."""
    from PIL import Image

    for count, level in ((1, 10), (2, 200)):
        image = np.full((2, 3, 4), level, np.uint8)
        write_snapshots(tmp_path, "n1", {"o1": image}, count, {"time_s": float(count)})
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "n1-frame.0001.json", "n1-frame.0002.json", "n1-frame.json", "n1-o1.0001.png", "n1-o1.0002.png", "n1-o1.png"]
    assert (tmp_path / "n1-o1.png").read_bytes() == (tmp_path / "n1-o1.0002.png").read_bytes()
    assert orjson.loads((tmp_path / "n1-frame.json").read_bytes())["time_s"] == 2.0
    assert [int(np.asarray(Image.open(tmp_path / f"n1-o1.000{n}.png"))[0, 0, 0]) for n in (1, 2)] == [10, 200]
    assert orjson.loads((tmp_path / "n1-frame.0001.json").read_bytes())["time_s"] == 1.0
