"""Fuzz the command lines: a few hundred bad arguments and bad config files, each must be refused with exit 2 and
exactly one line (``stage CMD: error: ...`` or ``file:line: key: reason``), never a traceback, a hang or real work
(``no_real_work`` fails the test if a bad input reaches the orchestrator, a render, the daemon or the control
client). ``--run-slow`` adds random mutations of the demo config through every command that reads a config."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.cli.helpers import DEMO, REPO, assert_refused, run_stage, tiny_pitch_config

POSES = str(REPO / "configs" / "poses" / "demo-golden.yaml")
POSE = ["--pose", "0,0.5,1.6,0,0,0"]

BAD = {
    "seconds": ["nan", "inf", "-inf", "-1", "0", "1e400", "1e8", "abc", "", "0x10", "1,2"],
    "port": ["-1", "65536", "99999", "1.5", "abc", "nan", "", "1e3"],
    "width": ["0", "15", "8193", "100000000", "-5", "1.5", "nan", "abc", ""],
    "endpoint": ["garbage", "tcp://", "tcp://127.0.0.1", "tcp://127.0.0.1:99999", "tcp://127.0.0.1:-1",
                 "http://x:1", "", "tcp://a b:1", "tcp://127.0.0.1:0x10"],
    "pose": ["1,2,3", "nan,0,0,0,0,0", "a,b,c,d,e,f", "1e7,0,0,0,0,0", "", "1,2,3,4,5,6,7", "inf,0,0,0,0,0"],
    "time": ["nan", "inf", "-inf", "1e12", "abc", ""],
    "percent": ["-1", "101", "nan", "inf", "abc"],
    "focal": ["0", "-1", "nan", "1e6", "abc"],
    "threshold": ["256", "-1", "1.5", "nan"],
    "fraction": ["2", "-0.1", "nan", "inf"],
    "count": ["0", "-1", "abc", "1.5", ""],
    "value": ["100000000000000000000", "1e400", "-1e400", "[1e400]", "[[[[[[[[[[[1]]]]]]]]]]]", "1,2,1e999"],
}
"""Bad values by the kind of argument they are given to."""

FLAGS: list[tuple[list[str], str, str]] = [
    (["up", str(DEMO)], "--duration", "seconds"),
    (["up", str(DEMO)], "--osc-port", "port"),
    (["up", str(DEMO)], "--control", "endpoint"),
    (["track", "--source", "sim:"], "--duration", "seconds"),
    (["track", "--source", "sim:"], "--publish", "endpoint"),
    (["demo"], "--duration", "seconds"),
    (["record", str(DEMO), "--take", "t"], "--duration", "seconds"),
    (["record", str(DEMO), "--take", "t"], "--endpoint", "endpoint"),
    (["tap"], "--timeout", "seconds"),
    (["tap"], "--count", "count"),
    (["status"], "--timeout", "seconds"),
    (["status"], "--control", "endpoint"),
    (["down"], "--control", "endpoint"),
    (["render", str(DEMO), *POSE], "--camera-width", "width"),
    (["render", str(DEMO), *POSE], "--time", "time"),
    (["render", str(DEMO), *POSE], "--overscan", "percent"),
    (["render", str(DEMO), *POSE], "--focal-length", "focal"),
    (["render", str(DEMO)], "--pose", "pose"),
    (["golden", "check", str(DEMO), "--poses", POSES, "--dir", "out/g"], "--camera-width", "width"),
    (["golden", "check", str(DEMO), "--poses", POSES, "--dir", "out/g"], "--threshold", "threshold"),
    (["golden", "check", str(DEMO), "--poses", POSES, "--dir", "out/g"], "--max-fraction", "fraction"),
    (["set", "exposure_ev"], "", "value"),
]
"""``(base command, flag, kind)``: the flag (or, without one, the next positional) gets every bad value of its kind."""

ARGUMENT_CASES = [(base, flag, value) for base, flag, kind in FLAGS for value in BAD[kind]]

OTHER_ARGV = [
    [], ["nope"], ["render"], ["render", str(DEMO)], ["render", str(DEMO), *POSE, "--take", "x"],
    ["up"], ["up", str(DEMO), "--headless", "--windowed"], ["preset", "nope"], ["preset", "save"],
    ["validate", str(DEMO), "--bogus"], ["track"], ["track", str(DEMO), "--source", "sim:"],
    ["track", "--source", "nope://x"], ["track", "--source", "freed://127.0.0.1:99999"],
    ["export", "x.take.jsonl", "--format", "nope"], ["golden", "nope"], ["-v", "-v"],
]
"""Whole command lines that are wrong as a whole."""

BAD_CONFIGS = {
    "empty": "",
    "list": "- a\n- b\n",
    "scalar": "just text\n",
    "not-utf8": b"name: \xff\xfe\n",
    "binary": bytes(range(256)),
    "malformed": "name: [unclosed\n",
    "tab-indent": "name: x\nwalls:\n\t- a\n",
    "deep": "name: deep\nwalls: " + "[" * 3000 + "]" * 3000 + "\n",
    "cycle": "a: &a [*a]\n",
    "unknown-key": "{demo}\nbogus_key: 1\n",
    "nan-corner": "{demo_nan}",
    "huge-resolution": "{demo_huge}",
    "huge-cabinets": "{demo_cabinets}",
}
"""Stage config files with exactly one problem each (``{demo}`` and friends are filled in below)."""

CONFIG_COMMANDS = [
    ["validate", "{cfg}"], ["render", "{cfg}", *POSE], ["up", "{cfg}"], ["track", "{cfg}"],
    ["record", "{cfg}", "--take", "t"], ["golden", "check", "{cfg}", "--poses", POSES, "--dir", "out/g"],
    ["tap", "--config", "{cfg}"], ["status", "--config", "{cfg}"],
]


def _demo_text() -> str:
    return DEMO.read_text().replace("scene: ../scenes/", f"scene: {REPO}/scenes/")


def _config_text(name: str) -> str | bytes:
    text = BAD_CONFIGS[name]
    if isinstance(text, bytes):
        return text
    demo = _demo_text()
    return (text.replace("{demo}", demo)
            .replace("{demo_nan}", demo.replace("lower_left: [-3.0, 4.0, 0.0]", "lower_left: [.nan, 4.0, 0.0]", 1))
            .replace("{demo_huge}", demo.replace("resolution_px: [512, 256]", "resolution_px: [512, 99999999]", 1))
            .replace("{demo_cabinets}", demo.replace(
                "resolution_px: [512, 256]", "cabinets: {size_mm: [500, 500], pixels: [32768, 256], count: [12, 6]}",
                1)))


@pytest.fixture
def at_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty folder so relative outputs (``out/g``, takes, logs) land there; ``out/g`` is a golden
    folder, so ``stage golden check`` gets as far as the config."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out" / "g").mkdir(parents=True)
    (tmp_path / "out" / "g" / "manifest.json").write_text('{"version": 1}\n')
    return tmp_path


@pytest.mark.parametrize(("base", "flag", "value"), ARGUMENT_CASES,
                         ids=[f"{' '.join(b[:1])}{f}={v!r}" for b, f, v in ARGUMENT_CASES])
def test_bad_argument_values(base: list[str], flag: str, value: str, capsys: pytest.CaptureFixture[str],
                             no_real_work: None, at_tmp: Path) -> None:
    argv = [*base, flag, value] if flag else [*base, value]
    assert_refused(run_stage(argv, capsys), " ".join(argv))


@pytest.mark.parametrize("argv", OTHER_ARGV, ids=[" ".join(a) or "nothing" for a in OTHER_ARGV])
def test_bad_command_lines(argv: list[str], capsys: pytest.CaptureFixture[str], no_real_work: None,
                           at_tmp: Path) -> None:
    assert_refused(run_stage(argv, capsys), " ".join(argv))


@pytest.mark.parametrize("command", CONFIG_COMMANDS, ids=[c[0] for c in CONFIG_COMMANDS])
@pytest.mark.parametrize("name", [*BAD_CONFIGS, "tiny-pitch", "missing", "folder", "device"])
def test_bad_config_files(name: str, command: list[str], capsys: pytest.CaptureFixture[str], no_real_work: None,
                          at_tmp: Path) -> None:
    path = at_tmp / f"{name}.yaml"
    if name == "folder":
        path.mkdir()
    elif name == "device":
        path = Path("/dev/zero")  # was: read until memory ran out
    elif name == "tiny-pitch":
        path = tiny_pitch_config(at_tmp)
    elif name != "missing":
        text = _config_text(name)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    outcome = run_stage([str(path) if part == "{cfg}" else part for part in command], capsys)
    assert_refused(outcome, f"{name} via {command[0]}")
    assert outcome.lines[0].startswith(str(path)), outcome.lines


def _mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(lines))
        op = rng.randrange(5)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif op == 2:
            lines[i] = lines[i].replace(rng.choice("0123456789"), rng.choice(["nan", "-1", "1e400", "[", "x", ""]))
        elif op == 3:
            cut = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:cut] + rng.choice(["{", "]", ":", "&a", "*a", "\t", "'", "!!python/object:os.system"])
        else:
            lines[i] = " " * rng.randint(0, 6) + lines[i].lstrip()
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(20))
def test_mutated_configs_never_crash(seed: int, capsys: pytest.CaptureFixture[str], no_real_work: None,
                                     at_tmp: Path) -> None:
    """100 mutations per seed through ``stage validate``: exit 0, or exit 2 with only ``file:line`` lines."""
    rng = random.Random(seed)
    demo = _demo_text()
    for _ in range(100):
        path = at_tmp / "mutated.yaml"
        path.write_text(_mutate(demo, rng))
        outcome = run_stage(["validate", str(path)], capsys)
        assert "Traceback" not in outcome.err
        assert outcome.code in (0, 2), (outcome, path.read_text())
        if outcome.code == 2:
            assert outcome.lines and all(line.startswith(str(path)) for line in outcome.lines), outcome.lines
