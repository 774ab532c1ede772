"""Cluster config: exact frame rates, node hosts, frame-lock endpoints, and what `stage validate` says about them."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from stage.app.cli import main
from stage.core.config.frame_rate import (
    describe_frame_rate,
    format_frame_rate,
    frame_at,
    frame_start_ns,
    parse_frame_rate,
)
from tests.cluster.helpers import write_stage

REPO = Path(__file__).resolve().parents[2]
DEMO = (REPO / "configs" / "demo.yaml").read_text()


@pytest.mark.parametrize(("given", "exact"), [
    (23.976, Fraction(24000, 1001)), ("23.976", Fraction(24000, 1001)), (23.98, Fraction(24000, 1001)),
    ("24000/1001", Fraction(24000, 1001)), (24, Fraction(24)), (25, Fraction(25)), (29.97, Fraction(30000, 1001)),
    (30, Fraction(30)), (48, Fraction(48)), (47.952, Fraction(48000, 1001)), (50, Fraction(50)),
    (59.94, Fraction(60000, 1001)), ("60000/1001", Fraction(60000, 1001)), (60, Fraction(60)), (60.0, Fraction(60)),
    (119.88, Fraction(120000, 1001)), (120, Fraction(120)), (240, Fraction(240)), ("12.5", Fraction(25, 2)),
    ("48/2", Fraction(24)),
])
def test_frame_rates_are_exact(given: object, exact: Fraction) -> None:
    assert parse_frame_rate(given) == exact


@pytest.mark.parametrize("bad", [0, -24, "abc", "24/0", True, float("nan"), 5000, "1e3", [24]])
def test_bad_frame_rates_say_why(bad: object) -> None:
    with pytest.raises(ValueError, match="frame rate|denominator"):
        parse_frame_rate(bad)


def test_frame_numbers_do_not_drift() -> None:
    rate = Fraction(24000, 1001)
    # a day of 23.976 frames: frame N starts at exactly N·1001/24000 s, rounded up to the nanosecond
    n = 24 * 3600 * 24
    start = frame_start_ns(n, rate)
    assert start == -(-n * 1001 * 10**9 // 24000)
    assert frame_at(start, rate) == n and frame_at(start - 1, rate) == n - 1
    assert format_frame_rate(rate) == "24000/1001" and format_frame_rate(Fraction(25)) == "25"
    assert describe_frame_rate(rate) == "24000/1001 (23.976) fps"


def test_summary_and_json_show_the_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = DEMO.replace("  - name: node1\n", "  - name: node1\n    host: 10.1.2.3\n") + (
        "cluster:\n  frame_lock: true\n  frame_rate: 29.97\n  barrier_timeout_ms: 80\n"
        "  frames: tcp://10.1.2.1:5561\n  ready: tcp://10.1.2.1:5562\n"
        "endpoints:\n  state: tcp://10.1.2.1:5557\n  render_stats: tcp://10.1.2.1:5558\n")
    path = write_stage(tmp_path, text)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "render nodes: node1 @ 10.1.2.3" in out
    assert ("frame lock: 30000/1001 (29.970) fps, barrier timeout 80 ms, frames tcp://10.1.2.1:5561, "
            "ready tcp://10.1.2.1:5562") in out
    assert main(["validate", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["config"]["cluster"]["frame_rate"] == "30000/1001"
    assert data["config"]["nodes"][0]["host"] == "10.1.2.3"


def test_default_is_no_frame_lock_on_this_machine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(REPO / "configs" / "demo.yaml")]) == 0
    out = capsys.readouterr().out
    assert "render nodes: node1\n" in out and "frame lock: off" in out


CLUSTER = "cluster:\n  frame_lock: true\n"
BAD = [
    (CLUSTER + "  frame_rate: 23.9x\n", "cluster.frame_rate: not a frame rate: '23.9x'"),
    (CLUSTER + "  frame_rate: 0\n", "cluster.frame_rate: frame rate 0 out of range"),
    (CLUSTER + "  barrier_timeout_ms: 0\n", "cluster.barrier_timeout_ms:"),
    (CLUSTER + "  frames: tcp://*:5561\n", "cluster.frames: nodes connect to this endpoint"),
    (CLUSTER + "  ready: tcp://127.0.0.1:5556\n", "cluster.ready: TCP port 5556 is also used by endpoints.pose"),
    (CLUSTER + "  ready: udp://x\n", "cluster.ready: not a ZeroMQ endpoint"),
    (CLUSTER + "  lock: true\n", "cluster.lock: unknown key"),
    (CLUSTER + "  priority: urgent\n", "cluster.priority: Input should be 'normal', 'high' or 'realtime'"),
    (CLUSTER + "  phase_guard_ms: -1\n", "cluster.phase_guard_ms:"),
]


@pytest.mark.parametrize(("extra", "expected"), BAD)
def test_bad_cluster_is_one_line_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    extra: str, expected: str) -> None:
    path = write_stage(tmp_path, DEMO + extra)
    assert main(["validate", str(path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    file, line_no, rest = lines[0].split(":", 2)
    assert file == str(path) and expected in rest
    key = expected.split(":")[0].split(".")[-1]
    assert key in path.read_text().splitlines()[int(line_no) - 1]


@pytest.mark.parametrize(("host", "expected"), [
    ("bad_host!", "not a host name or IP address"),
    ("0.0.0.0", "is not a machine"),
    ("render-2.stage.lan", "cannot reach endpoints.state tcp://127.0.0.1:5557"),
])
def test_node_hosts(tmp_path: Path, capsys: pytest.CaptureFixture[str], host: str, expected: str) -> None:
    path = write_stage(tmp_path, DEMO.replace("  - name: node1\n", f"  - name: node1\n    host: '{host}'\n"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "nodes[0].host: " in err and expected in err


def test_node_priority_is_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_stage(tmp_path, DEMO.replace("  - name: node1\n", "  - name: node1\n    priority: rt\n"))
    assert main(["validate", str(path)]) == 2
    assert "nodes[0].priority: Input should be 'normal', 'high' or 'realtime'" in capsys.readouterr().err
    ok = write_stage(tmp_path, DEMO.replace("  - name: node1\n", "  - name: node1\n    priority: realtime\n"))
    assert main(["validate", str(ok)]) == 0


def test_remote_node_in_frame_lock_needs_reachable_cluster_endpoints(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    text = DEMO.replace("  - name: node1\n", "  - name: node1\n    host: 10.1.2.3\n") + CLUSTER + (
        "endpoints:\n  state: tcp://10.1.2.1:5557\n  render_stats: tcp://10.1.2.1:5558\n")
    assert main(["validate", str(write_stage(tmp_path, text))]) == 2
    assert "cannot reach cluster.frames tcp://127.0.0.1:5561" in capsys.readouterr().err


def test_frame_lock_ports_in_the_ephemeral_range_warn_only_with_frame_lock_on() -> None:
    from stage.core.config.advice import stage_advice
    from stage.core.config.loader import load_stage_config

    config = load_stage_config(REPO / "configs" / "demo.yaml")
    assert ("cluster", "frames") not in dict(stage_advice(config, port_range=(5000, 6000)))
    config.cluster.frame_lock = True
    found = dict(stage_advice(config, port_range=(5000, 6000)))
    assert "5561" in found[("cluster", "frames")] and "5562" in found[("cluster", "ready")]


def test_stage_node_with_an_unknown_node_is_one_line_and_exit_2() -> None:
    proc = subprocess.run([sys.executable, "-m", "stage.app.cli", "node", "configs/demo.yaml", "--node", "nope",
                           "--headless"], capture_output=True, text=True, timeout=60, cwd=REPO)
    err = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(err) == 1, proc.stderr
    assert "unknown render node 'nope' (nodes: node1)" in err[0]
