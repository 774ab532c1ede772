"""``stage golden update|check`` end to end on the demo stage at a small camera width (headless GL)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from stage.app.cli import main

pytestmark = pytest.mark.gl

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / "configs" / "demo.yaml")
SUBPROCESS_TIMEOUT_S = 60
POSES = """\
poses:
  - name: front
    pose: [0.0, 0.5, 1.6, 0.0, 0.0, 0.0]
  - name: up
    pose: [0.5, 1.0, 1.5, 10.0, 35.0, 0.0]
    chroma_key: true
"""


def golden_args(action: str, poses: Path, directory: Path, *extra: str) -> list[str]:
    return ["golden", action, CONFIG, "--poses", str(poses), "--dir", str(directory), *extra]


def run_cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stage.app.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=SUBPROCESS_TIMEOUT_S, check=False)


@pytest.fixture(scope="module")
def poses(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("poses") / "poses.yaml"
    path.write_text(POSES)
    return path


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory, poses: Path) -> Path:
    """A golden folder written once by ``stage golden update`` (tests copy it before changing it)."""
    directory = tmp_path_factory.mktemp("golden") / "demo"
    assert main(golden_args("update", poses, directory, "--camera-width", "96")) == 0
    return directory


@pytest.fixture
def golden_copy(golden: Path, tmp_path: Path) -> Path:
    directory = tmp_path / "demo"
    shutil.copytree(golden, directory)
    return directory


def test_update_writes_every_image_and_a_manifest(golden: Path) -> None:
    for name in ("front", "up"):
        files = {p.relative_to(golden / name).as_posix() for p in (golden / name).rglob("*.png")}
        assert files == {"camera.png", "preview.png", "walls/main.png", "walls/side-right.png", "walls/ceiling.png"}
    assert Image.open(golden / "front" / "camera.png").size[0] == 96
    manifest = json.loads((golden / "manifest.json").read_text())
    assert manifest["camera_width_px"] == 96 and manifest["channel_threshold"] == 8
    assert manifest["max_fraction_over"] == 0.002 and manifest["config"] == CONFIG
    assert sorted(manifest["images"]) == ["front", "up"]


def test_check_after_update_passes(golden: Path, poses: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(golden_args("check", poses, golden)) == 0  # camera width comes from the manifest
    out = capsys.readouterr().out.splitlines()
    assert len([line for line in out if line.startswith("ok ")]) == 10
    assert out[-1].startswith("golden check: 10 images match")
    assert not (golden / "_diff").exists()


def test_tampered_golden_drifts_names_the_image_and_writes_evidence(golden_copy: Path, poses: Path) -> None:
    path = golden_copy / "front" / "walls" / "main.png"
    image = Image.open(path).convert("RGB")
    ImageDraw.Draw(image).rectangle((100, 60, 180, 120), fill=(255, 0, 255))
    image.save(path)
    done = run_cli(golden_args("check", poses, golden_copy))
    assert done.returncode == 1, done.stdout + done.stderr
    drift = [line for line in done.stdout.splitlines() if line.startswith("DRIFT")]
    assert len(drift) == 1 and "front/walls/main.png" in drift[0] and "differ by more than 8" in drift[0]
    assert "golden check: FAILED" in done.stdout and "1 drift" in done.stdout
    evidence = golden_copy / "_diff" / "front" / "walls"
    assert sorted(p.name for p in evidence.iterdir()) == ["main.actual.png", "main.diff.png", "main.expected.png"]
    diff = np.asarray(Image.open(evidence / "main.diff.png").convert("RGB"))
    assert np.all(diff[60:121, 100:181] == (255, 0, 0))
    # a loose enough tolerance accepts the same change; stale evidence is cleared
    assert main(golden_args("check", poses, golden_copy, "--max-fraction", "0.1")) == 0
    assert not (golden_copy / "_diff").exists()


def test_bad_poses_file_exits_2_with_file_and_line(tmp_path: Path, golden: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(POSES + "  - name: front\n    pose: [1, 2, 3, 0, 0, 0]\n    zoom: 3\n")
    done = run_cli(golden_args("check", bad, golden))
    assert done.returncode == 2
    assert f"{bad}:9: poses[2].zoom: unknown key" in done.stderr
    assert done.stdout == ""


def test_duplicate_names_and_unknown_camera_exit_2(tmp_path: Path, golden: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "dup.yaml"
    bad.write_text(POSES + "  - name: front\n    camera: cam9\n    pose: [1, 2, 3, 0, 0, 0]\n")
    assert main(golden_args("update", bad, tmp_path / "out")) == 2
    err = capsys.readouterr().err.splitlines()
    assert f"{bad}:7: poses[2].name: duplicate name 'front' (first at poses[0])" in err
    assert f"{bad}:8: poses[2].camera: unknown camera 'cam9' (cameras: cam1)" in err
    assert not (tmp_path / "out").exists()


def test_pose_of_wrong_length_exits_2(tmp_path: Path, golden: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "short.yaml"
    bad.write_text("poses:\n  - name: a\n    pose: [1, 2, 3]\n")
    assert main(golden_args("check", bad, golden)) == 2
    assert f"{bad}:3: poses[0].pose" in capsys.readouterr().err


def test_missing_golden_folder_exits_2_naming_the_manifest(tmp_path: Path, poses: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(golden_args("check", poses, tmp_path / "none")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"stage golden check: error: {tmp_path / 'none' / 'manifest.json'}: not found (not a golden "
                   "folder; run `stage golden update` first)"]


def test_missing_and_extra_images_fail_with_exit_1(golden_copy: Path, poses: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (golden_copy / "up" / "camera.png").unlink()
    shutil.copy(golden_copy / "up" / "walls" / "main.png", golden_copy / "up" / "walls" / "old-wall.png")
    assert main(golden_args("check", poses, golden_copy)) == 1
    out = capsys.readouterr().out
    assert f"MISSING  up/camera.png  {golden_copy / 'up' / 'camera.png'}: golden image not found" in out
    assert "EXTRA    up/walls/old-wall.png" in out
    assert "1 missing, 1 extra" in out


def test_size_change_is_drift(golden: Path, poses: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = tmp_path / "g"
    shutil.copytree(golden, directory)
    assert main(golden_args("check", poses, directory, "--camera-width", "100")) == 1
    assert "DRIFT    front/camera.png  size mismatch: actual 100×56, expected 96×54" in capsys.readouterr().out


@pytest.mark.parametrize("flag", [["--threshold", "300"], ["--max-fraction", "2"], ["--camera-width", "0"]])
def test_bad_flags_are_usage_errors(flag: list[str], poses: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(golden_args("check", poses, tmp_path, *flag))
    assert exc.value.code == 2


def test_shipped_poses_file_fits_the_demo_stage() -> None:
    from stage.core.config.loader import load_stage_config
    from stage.core.golden_poses import load_poses

    config = load_stage_config(CONFIG)
    poses = load_poses(REPO / "configs" / "poses" / "demo-golden.yaml", [c.id for c in config.cameras])
    assert len(poses.poses) >= 3
    assert any(p.chroma_key for p in poses.poses) and any(p.pose[4] > 20 for p in poses.poses)
