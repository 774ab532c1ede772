"""``stage demo`` end to end, headless and short."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

from tests.procs import REPO


def test_demo_writes_previews_contact_sheet_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    run = subprocess.run([sys.executable, "-m", "stage.app.cli", "demo", "--headless", "--duration", "3", "--out",
                          str(out)], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] and summary["display"] == "headless" and summary["moments"] == 3
    assert summary["render_fps"] > 0 and summary["pose_rate_hz"] > 10
    assert summary["pose_age_ms"]["p50"] is not None and summary["pose_to_frame_ms"]["p50"] is not None
    assert summary["errors"] == [] and summary["restarts"] == 0
    for k in (1, 2, 3):
        for name in ("witness", "camera", "node1-out1"):
            with Image.open(out / f"preview-{k}-{name}.png") as image:
                assert image.width > 100 and image.height > 50
    with Image.open(out / "preview-1-node1-out1.png") as image:
        assert image.size == (1024, 512)  # the node's output as configured
    with Image.open(out / "contact-sheet.png") as sheet:
        assert sheet.width >= 480 and sheet.height > 3 * 200
    assert sorted(summary["files"]) == sorted(p.name for p in out.iterdir() if p.is_file())
    assert not list(out.rglob("*.tmp")) and not (out / ".work").exists()
    assert (out / "logs" / "render-node1.log").is_file() and (out / "logs" / "tracking.log").is_file()
    assert "fps" in run.stdout and "latency" in run.stdout
    assert not list((REPO / "configs").glob(".*running*"))
