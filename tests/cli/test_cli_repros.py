"""Each bad command line from issue 11's list, refused with one line and exit 2 (before: tracebacks, a native
abort, hangs, a silently wrapped port, exit 0)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import DEMO, REPO, assert_refused, run_stage, tiny_pitch_config

POSE = ["--pose", "0,0.5,1.6,0,0,0"]


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "a-file"
    path.write_text("not a folder\n")
    return path


@pytest.mark.parametrize("argv", [
    ["render", str(DEMO), *POSE, "--camera-width", "100000000"],  # was: stack smashing, exit 134
    ["render", str(DEMO), *POSE, "--camera-width", "0"],  # was: ValueError traceback
    ["render", str(DEMO), *POSE, "--time", "nan"],  # was: exit 0
    ["render", str(DEMO), *POSE, "--time", "inf"],
    ["render", str(DEMO), *POSE, "--overscan", "nan"],
    ["track", "--source", "sim:", "--duration", "nan"],  # was: never exits
    ["track", "--source", "sim:", "--publish", "tcp://127.0.0.1:70000"],
    ["up", str(DEMO), "--control", "tcp://127.0.0.1:99999"],  # was: bound port 34463 silently
    ["status", "--control", "tcp://127.0.0.1:99999"],
    ["set", "exposure_ev", "100000000000000000000"],  # was: client TypeError (orjson: integer beyond 64 bits)
    ["set", "exposure_ev", "1e400"],
    ["tap", "garbage"],
])
def test_bad_arguments_are_one_line_and_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str],
                                                no_real_work: None) -> None:
    assert_refused(run_stage(argv, capsys), " ".join(argv))


@pytest.mark.parametrize("command", [["render", str(DEMO), *POSE, "--out"], ["demo", "--out"]])
def test_out_that_is_a_file(command: list[str], a_file: Path, capsys: pytest.CaptureFixture[str],
                            no_real_work: None) -> None:
    """Was: NotADirectoryError / FileExistsError tracebacks after the whole render."""
    for out in (a_file, a_file / "below"):
        outcome = run_stage([*command, str(out)], capsys)
        assert_refused(outcome, str(out))
        assert "not a folder" in outcome.err


def test_render_missing_take(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was: TakeError traceback."""
    outcome = run_stage(["render", str(DEMO), "--take", str(tmp_path / "missing.take.jsonl"),
                         "--out", str(tmp_path / "out")], capsys)
    assert_refused(outcome, "--take missing")
    assert "missing.take.jsonl" in outcome.err


def test_golden_manifest_width_is_checked_like_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        no_real_work: None) -> None:
    """Was: a manifest.json camera_width_px of 100000000 aborted natively (exit 134)."""
    for width in (100000000, 0, "wide", True):
        (tmp_path / "manifest.json").write_text(json.dumps({"version": 1, "camera_width_px": width}))
        outcome = run_stage(["golden", "check", str(DEMO), "--poses", str(REPO / "configs/poses/demo-golden.yaml"),
                             "--dir", str(tmp_path)], capsys)
        assert_refused(outcome, f"manifest width {width!r}")
        assert "camera_width_px" in outcome.err


def test_validate_of_3000_deep_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was: RecursionError traceback."""
    path = tmp_path / "deep.yaml"
    path.write_text("name: deep\nwalls: " + "[" * 3000 + "]" * 3000 + "\n")
    outcome = run_stage(["validate", str(path)], capsys)
    assert_refused(outcome, "deep YAML")
    assert "nested deeper than 64 levels" in outcome.err


def test_validate_of_a_yaml_alias_bomb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    outcome = run_stage(["validate", str(path)], capsys)
    assert_refused(outcome, "alias bomb")
    assert "expands to more than" in outcome.err


def test_tiny_pixel_pitch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was: OverflowError traceback (and "internal error" from ``stage reload``, which loads the same way)."""
    path = tiny_pitch_config(tmp_path)
    outcome = run_stage(["validate", str(path)], capsys)
    assert_refused(outcome, "pixel_pitch_mm 1e-320")
    assert "walls[0].pixel_pitch_mm" in outcome.err and ":10:" in outcome.err


def _renderer(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "renderer", *args], capture_output=True, text=True, timeout=60,
                          cwd=REPO)


def test_render_node_unknown_node_and_bad_endpoint() -> None:
    """Was: StopIteration and ZMQError tracebacks."""
    proc = _renderer(str(DEMO), "--node", "nope", "--headless")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "unknown render node 'nope' (nodes: node1)" in proc.stderr
    proc = _renderer(str(DEMO), "--node", "node1", "--pose", "garbage")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "python -m renderer: error: argument --pose: not a ZeroMQ endpoint: 'garbage' (expected tcp://host:port, "
        "ipc://path or inproc://name) (python -m renderer -h: help)"]


def test_unexpected_errors_are_one_line_exit_1(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The last resort at the top of ``stage``: a bug is one line naming the error, never a traceback."""
    import stage.app.commands.validate as validate

    def boom(*args: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(validate, "load_stage_config", boom)
    outcome = run_stage(["validate", str(DEMO)], capsys)
    assert outcome.code == 1 and "Traceback" not in outcome.err
    assert outcome.lines == ["stage validate: error: internal error: ZeroDivisionError: boom (-vv shows the "
                             "traceback)"]
