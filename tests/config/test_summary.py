"""`stage validate`'s summary names each wall's colour settings (transfer, gamut, PQ peak, LUT)."""

from __future__ import annotations

import shutil
from pathlib import Path

from stage.app.summary import color_text, summary_lines
from stage.core.config.color import WallColor
from stage.core.config.loader import load_stage_config

REPO = Path(__file__).resolve().parents[2]


def test_color_text_names_every_setting() -> None:
    assert color_text(WallColor()) == "sRGB, Rec.709, no LUT"
    assert color_text(WallColor(transfer="pq", gamut="rec2020", peak_nits=1500)) == \
        "PQ (ST 2084), Rec.2020, peak 1500 nits, no LUT"
    assert color_text(WallColor(transfer="bt1886", gamut="p3d65", lut="/x/luts/warm-17.cube",
                                lut_interpolation="trilinear")) == "BT.1886, P3-D65, LUT warm-17.cube (trilinear)"


def test_summary_has_a_colour_line_under_each_wall(tmp_path: Path) -> None:
    (tmp_path / "luts").mkdir()
    shutil.copy(REPO / "configs" / "luts" / "warm-17.cube", tmp_path / "luts" / "warm.cube")
    text = (REPO / "configs" / "demo.yaml").read_text().replace("scene: ../scenes/demo.yaml", "scene: null")
    text = text.replace("    output: {node: node1", "    color: {transfer: pq, gamut: rec2020, lut: luts/warm.cube}\n"
                                                   "    output: {node: node1", 1)
    path = tmp_path / "stage.yaml"
    path.write_text(text)
    lines = summary_lines(load_stage_config(path))
    main = next(i for i, line in enumerate(lines) if line.strip().startswith("main "))
    assert lines[main + 1].strip() == "colour: PQ (ST 2084), Rec.2020, peak 1000 nits, LUT warm.cube (tetrahedral)"
    side = next(i for i, line in enumerate(lines) if line.strip().startswith("side-right "))
    assert lines[side + 1].strip() == "colour: sRGB, Rec.709, no LUT"


def test_summary_into_a_closed_pipe_is_quiet() -> None:
    import subprocess
    import sys

    # `stage validate CONFIG | true`: the reader is gone before the summary is written; no traceback, exit 0.
    proc = subprocess.run(f"set -o pipefail; {sys.executable} -m stage.app.cli validate configs/demo.yaml | true",
                          shell=True, cwd=REPO, capture_output=True, text=True, timeout=60,
                          executable="/bin/bash")
    assert (proc.returncode, proc.stderr) == (0, "")
