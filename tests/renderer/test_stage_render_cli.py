"""`stage render` as a user runs it: files, render.json, byte-identical repeats, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def stage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stage.app.cli", *args], capture_output=True, text=True, timeout=120,
                          cwd=REPO)


def test_writes_every_file_and_repeats_byte_identical(tmp_path: Path) -> None:
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        proc = stage("render", "configs/demo.yaml", "--pose", "0.3,0.8,1.5,10,-3,2", "--camera-width", "240",
                     "--out", str(out))
        assert proc.returncode == 0, proc.stderr
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert [str(f) for f in files] == ["camera.png", "preview.png", "render.json", "walls/ceiling.png",
                                       "walls/main.png", "walls/side-right.png"]
    for f in files:
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes(), f"{f} differs between identical runs"
    doc = json.loads((outs[0] / "render.json").read_text())
    assert doc["camera"]["resolution"] == [240, 135]
    assert np.asarray(doc["camera"]["world_from_camera"]).shape == (4, 4)
    assert np.asarray(doc["camera"]["projection"]).shape == (4, 4)
    walls = {w["name"]: w for w in doc["walls"]}
    assert walls["main"]["resolution"] == [512, 256] and walls["main"]["image"] == "walls/main.png"
    assert walls["main"]["sections"][0]["pixel_rect"] == [0, 0, 512, 256]
    with Image.open(outs[0] / "walls" / "main.png") as img:
        assert img.size == (512, 256)
    with Image.open(outs[0] / "camera.png") as img:
        assert img.size == (240, 135)


def test_curved_wall_lists_one_section_per_cabinet_column(tmp_path: Path) -> None:
    proc = stage("render", "tests/data/curved-small.yaml", "--scene", "scenes/demo.yaml", "--pose", "0,0,1.7,0,0,0",
                 "--camera-width", "160", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "render.json").read_text())
    main1 = next(w for w in doc["walls"] if w["name"] == "main-1")
    assert len(main1["sections"]) == 14
    assert [s["pixel_rect"][0] for s in main1["sections"]] == [24 * i for i in range(14)]


def test_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    for args, fragment in [
        (["--pose", "1,2,3"], "six finite numbers"),
        (["--pose", "a,b,c,d,e,f"], "expected X,Y,Z,PAN,TILT,ROLL"),
        (["--pose", "0,0,1.6,0,0,0", "--camera", "nope"], "unknown camera 'nope'"),
        (["--pose", "0,0,1.6,0,0,0", "--scene", str(tmp_path / "missing.yaml")], "file not found"),
        ([], "give --pose"),
        (["--pose", "0,0,1.6,0,0,0", "--set", "exposure_ev"], "--set 'exposure_ev': expected PARAM=VALUE"),
        (["--pose", "0,0,1.6,0,0,0", "--set", "exposure_ev=99"],
         "stage render: error: --set exposure_ev=99: exposure_ev: Input should be less than or equal to 10"),
        (["--pose", "0,0,1.6,0,0,0", "--set", "white_balance_k=warm"], "white_balance_k: Input should be a valid"),
        (["--pose", "0,0,1.6,0,0,0", "--set", "walls.nope.brightness=0.5"], "no wall 'nope' (walls: main,"),
        (["--pose", "0,0,1.6,0,0,0", "--set", "light_cards.k={\"wall\": \"main\"}"], "light_cards.k.name: Field"),
        (["--pose", "0,0,1.6,0,0,0", "--set", "nope=1"], "nope: Extra inputs are not permitted"),
        (["--pose", "0,0,1.6,0,0,0", "--set", "scene=scenes/demo.yaml"], "the scene is chosen with --scene"),
    ]:
        proc = stage("render", "configs/demo.yaml", "--out", str(tmp_path / "x"), *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert fragment in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        if "--set" in args:  # one line (argparse's usage lines come before its own)
            assert proc.stderr.strip().splitlines()[-1].startswith("stage render: error: "), proc.stderr


def _demo_take(tmp_path: Path, n: int) -> Path:
    from tests.daemon.test_replay import write_take

    take = tmp_path / "t.take.jsonl"
    write_take(take, n, 0.04)
    take.write_text(take.read_text().replace('"cam"', '"cam1"'))  # the demo stage's camera
    return take


def test_take_renders_image_sequences_per_output(tmp_path: Path) -> None:
    """One numbered sequence per output, not a folder per frame (issue 13), and one render.json for the take."""
    take = _demo_take(tmp_path, 3)
    out = tmp_path / "frames"
    proc = stage("render", "configs/demo.yaml", "--take", str(take), "--camera-width", "64", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr and "frame/s" not in proc.stderr, "no progress bar when stderr is not a terminal"
    numbers = ("0001", "0002", "0003")
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == sorted(
        [f"camera.{n}.png" for n in numbers] + [f"preview.{n}.png" for n in numbers] + ["render.json"])
    walls = ("ceiling", "main", "side-right")
    assert sorted(p.name for p in (out / "walls").iterdir()) == [f"{w}.{n}.png" for w in walls for n in numbers]
    cams = [(out / f"camera.{n}.png").read_bytes() for n in numbers]
    assert len(set(cams)) == 3, "each sample is its own pose"
    doc = json.loads((out / "render.json").read_text())
    assert (doc["first_frame"], doc["last_frame"], doc["camera"]) == (1, 3, "camera.####.png")
    assert doc["walls"][0]["image"] == "walls/main.####.png" and doc["walls"][0]["resolution"] == [512, 256]
    assert [f["frame"] for f in doc["frames"]] == [1, 2, 3]
    last = doc["frames"][2]
    assert last["camera"]["position_m"] == [0.02, 0.0, 1.5] and last["camera"]["rotation_deg"][0] == 2.0
    assert last["camera"]["image"] == "camera.0003.png" and abs(last["time_s"] - 0.08) < 1e-9
    wrong = stage("render", "configs/demo.yaml", "--take", str(take), "--camera", "nope", "--out", str(tmp_path))
    assert wrong.returncode == 2 and "unknown camera" in wrong.stderr


def test_take_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    """stderr on a pseudo-terminal (80 columns): tqdm's bar reaches 2/2 frames."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    take = _demo_take(tmp_path, 2)
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    try:
        proc = subprocess.run([sys.executable, "-m", "stage.app.cli", "render", "configs/demo.yaml",
                               "--take", str(take),
                               "--camera-width", "32", "--out", str(tmp_path / "seq")], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=follower, text=True, timeout=300)
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other side is closed and drained
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    assert proc.returncode == 0
    assert b"2/2" in shown and b"frame" in shown, shown


def test_pose_typed_with_a_negative_first_value(tmp_path: Path) -> None:
    proc = stage("render", "configs/demo.yaml", "--pose", "-0.6,-2,1.4,12,15,6", "--camera-width", "160",
                 "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    camera = json.loads((tmp_path / "render.json").read_text())["camera"]
    assert camera["position_m"] == [-0.6, -2.0, 1.4]
    assert camera["rotation_deg"] == [12.0, 15.0, 6.0]


def test_set_gives_the_live_look(tmp_path: Path) -> None:
    """``--set`` changes what the walls show exactly as the live parameter does; repeated ``--set`` accumulate."""
    base = ["render", "configs/demo.yaml", "--pose", "0,0.5,1.6,0,0,0", "--camera-width", "32"]
    runs = {"plain": [], "brighter": ["--set", "exposure_ev=1", "--set", "walls.side-right.enabled=false"]}
    walls = {}
    for name, extra in runs.items():
        proc = stage(*base, "--out", str(tmp_path / name), *extra)
        assert proc.returncode == 0, proc.stderr
        walls[name] = {w: np.asarray(Image.open(tmp_path / name / "walls" / f"{w}.png").convert("RGB")).astype(int)
                       for w in ("main", "side-right")}
    assert walls["brighter"]["main"].mean() > walls["plain"]["main"].mean() + 10
    assert walls["brighter"]["side-right"].max() == 0 and walls["plain"]["side-right"].max() > 0
