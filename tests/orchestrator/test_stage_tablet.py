"""`stage tablet CONFIG`: a session for that stage's own walls, cameras and light cards, which the app keeps whole
and whose every address our server serves for that stage."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from stage.app.orchestrator.osc_map import ChangeError, route
from stage.core.config.loader import load_stage_config
from stage.core.live import LiveState
from tests.orchestrator import REPO
from tests.orchestrator.open_stage_control import CONTAINERS, PROPS, SENDS_OSC, address
from tests.orchestrator.tablet_model import widgets

COLOR_STAGE = REPO / "tests" / "color" / "data" / "color-stage.yaml"  # one wall, one camera, a light card "hdr"


def test_stage_tablet_writes_a_session_for_that_stage(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "stage.app.cli", "tablet", str(COLOR_STAGE)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "color-stage.tablet.json"
    assert proc.stderr.startswith(f"wrote {out.name}: 1 walls, 1 cameras, 1 light cards")
    session = json.loads(out.read_text())
    state = LiveState.from_config(load_stage_config(COLOR_STAGE))
    addresses = set()
    for w in widgets(session["content"]):
        assert not set(w) - PROPS[w["type"]], f"{w['id']}: the app drops {sorted(set(w) - PROPS[w['type']])}"
        if w["type"] in CONTAINERS or w["type"] not in SENDS_OSC or w.get("bypass"):
            continue
        addresses.add(address(w))
        try:
            route(address(w), [], state)
        except ChangeError as exc:
            assert exc.reason != "unknown_address", f"{w['id']}: {exc}"
    # This stage's card and wall, not the demo layout's card "key".
    assert "/stage/light_cards/hdr/intensity" in addresses and "/stage/walls/main/brightness" in addresses
    assert not any("/key/" in a for a in addresses)


def test_stage_tablet_to_stdout_and_bad_config(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "stage.app.cli", "tablet", str(COLOR_STAGE), "--out", "-"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout)["type"] == "session"
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nwalls: 3\n")
    proc = subprocess.run([sys.executable, "-m", "stage.app.cli", "tablet", str(bad)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.startswith(f"{bad}:") and "Traceback" not in proc.stderr
