"""`stage validate` as a user runs it: exit codes, one line per problem, file:line: key path, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stage.app.cli import main

REPO = Path(__file__).resolve().parents[2]
DEMO = (REPO / "configs" / "demo.yaml").read_text()


def _write(tmp_path: Path, text: str, name: str = "stage.yaml") -> Path:
    (tmp_path / "scenes").mkdir(exist_ok=True)
    (tmp_path / "scenes" / "demo.yaml").write_text((REPO / "scenes" / "demo.yaml").read_text())
    (tmp_path / "configs").mkdir(exist_ok=True)
    path = tmp_path / "configs" / name
    path.write_text(text)
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stage.app.cli", *args], capture_output=True, text=True, timeout=60, cwd=REPO
    )


def test_demo_validates_with_summary() -> None:
    proc = _run("validate", "configs/demo.yaml")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "main" in out and "6.00 ×  3.00 m" in out and "512 × 256" in out
    assert "pixels: 266,240" in out
    assert "cam1" in out and "simulated orbit" in out
    assert "tcp://127.0.0.1:5556" in out


def test_json_is_the_resolved_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(REPO / "configs" / "volume-curved.yaml"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["config"]["render"]["chroma_key"]["enabled"] is False  # defaults filled in
    walls = {w["name"]: w for w in data["derived"]["walls"]}
    assert len(walls["main-1"]["sections"]) == 14
    assert walls["ceiling"]["resolution_px"] == [3072, 2304]
    assert data["scene"]["name"] == "Demo primitives"


BAD_CASES = [
    # (replace this, with that, expected fragments of the single error line)
    ("    kind: flat\n", "    kind: flat\n    colour: red\n", ["walls[0].colour: unknown key"]),
    ("upper_left: [-3.0, 4.0, 3.0]", "upper_left: [-3.0, 4.0, 0.0]", ["walls[0].corners:", "degenerate"]),
    ("upper_left: [-3.0, 4.0, 3.0]", "upper_left: [-2.0, 4.0, 3.0]", ["walls[0].corners.upper_left:", "right angle"]),
    ("name: side-right", "name: main", ["walls[1].name: duplicate name 'main'"]),
    ("source: sim", "source: nowhere", ["cameras[0].source: unknown source 'nowhere'"]),
    ("focal_length_mm: 24.0", "focal_length_mm: .nan", ["cameras[0].lens.focal_length_mm:", "finite"]),
    ("kind: ceiling", "kind: cieling", ["walls[2]:", "unknown kind 'cieling'"]),
    ("resolution_px: [512, 256]", "resolution_px: [512, 256", [":14: malformed YAML"]),
    ("lower_left: [3.0, 4.0, 0.0]\n      lower_right: [5.0, 2.0, 0.0]\n      upper_left: [3.0, 4.0, 3.0]",
     "lower_left: [5.0, 2.0, 0.0]\n      lower_right: [3.0, 4.0, 0.0]\n      upper_left: [5.0, 2.0, 3.0]",
     ["walls[1]:", "faces away"]),
    ("offset_px: [512, 0]", "offset_px: [400, 0]", ["walls[1].output.offset_px:", "overlaps wall 'main'"]),
    ("resolution_px: [1024, 512]", "resolution_px: [700, 512]", ["walls[1].output:", "does not fit"]),
]


@pytest.mark.parametrize(("old", "new", "expected"), BAD_CASES)
def test_bad_config_exits_2_with_one_clear_line(tmp_path: Path, old: str, new: str, expected: list[str]) -> None:
    assert old in DEMO
    path = _write(tmp_path, DEMO.replace(old, new, 1))
    proc = _run("validate", str(path))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}:")
    for fragment in expected:
        assert fragment in lines[0]


def test_misspelt_key_reports_missing_and_unknown(tmp_path: Path) -> None:
    path = _write(tmp_path, DEMO.replace("lower_right: [3.0, 4.0, 0.0]", "lower_rigt: [3.0, 4.0, 0.0]", 1))
    lines = _run("validate", str(path)).stderr.strip().splitlines()
    assert [line.split(": ", 2)[1:] for line in lines] == [
        ["walls[0].corners.lower_right", "required key is missing"],
        ["walls[0].corners.lower_rigt", "unknown key"],
    ]


def test_line_number_points_at_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path, DEMO.replace("source: sim", "source: nowhere"))
    proc = _run("validate", str(path))
    line_no = int(proc.stderr.split(":")[1])
    assert "source: nowhere" in path.read_text().splitlines()[line_no - 1]


def test_every_problem_is_reported(tmp_path: Path) -> None:
    text = DEMO.replace("name: side-right", "name: main").replace("source: sim", "source: x")
    proc = _run("validate", str(_write(tmp_path, text)))
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 2


def test_two_things_on_one_port(tmp_path: Path) -> None:
    text = DEMO + "control: {osc_port: 7000}\n"
    text = text.replace("    kind: simulated", "    kind: freed\n    port: 7000").replace(
        "    move: orbit\n    rate_hz: 60\n    center_m: [0.0, 0.5, 1.6]\n    target_m: [0.0, 4.0, 1.5]\n"
        "    extent_m: 0.8\n    period_s: 6.0\n",
        "",
    )
    proc = _run("validate", str(_write(tmp_path, text)))
    assert proc.returncode == 2, proc.stdout
    assert "sources[0].port: UDP port 7000 is also used by control.osc_port" in proc.stderr


def test_two_endpoints_on_one_tcp_port(tmp_path: Path) -> None:
    text = DEMO + "endpoints: {pose: 'tcp://127.0.0.1:6000', state: 'tcp://127.0.0.1:6000'}\n"
    proc = _run("validate", str(_write(tmp_path, text)))
    assert proc.returncode == 2
    assert "endpoints.state: TCP port 6000 is also used by endpoints.pose" in proc.stderr


def test_missing_file_and_missing_scene(tmp_path: Path) -> None:
    proc = _run("validate", str(tmp_path / "nope.yaml"))
    assert proc.returncode == 2 and "file not found" in proc.stderr and "Traceback" not in proc.stderr
    path = _write(tmp_path, DEMO.replace("../scenes/demo.yaml", "../scenes/gone.yaml"))
    proc = _run("validate", str(path))
    assert proc.returncode == 2 and "scene: scene file not found" in proc.stderr


def test_bad_scene_is_reported_by_scene_file(tmp_path: Path) -> None:
    scene = tmp_path / "bad-scene.yaml"
    scene.write_text("name: x\nobjects:\n  - {kind: box, size_m: [1, -1, 1]}\n  - {kind: teapot}\n")
    proc = _run("validate", "configs/demo.yaml", "--scene", str(scene))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert any(line.startswith(f"{scene}:3: objects[0].size_m[1]:") for line in lines), lines
    assert any(f"{scene}:4: objects[1]:" in line and "teapot" in line for line in lines), lines


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = _write(tmp_path, "- just\n- a list\n")
    proc = _run("validate", str(path))
    assert proc.returncode == 2 and "top level must be a mapping" in proc.stderr
