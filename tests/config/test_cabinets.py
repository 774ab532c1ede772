"""Walls built from LED cabinets: exact resolutions, curved arcs from cabinet chords, and the warnings of
`stage validate` when a pitch or the corners disagree with whole cabinets."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from stage.core.config.advice import stage_advice
from stage.core.config.loader import load_stage_config
from stage.core.config.wall_geometry import wall_resolution_px, wall_sections, wall_size_m
from stage.core.config.walls import CurvedWall, FlatWall

REPO = Path(__file__).resolve().parents[2]
CABINETS = {"size_mm": [500, 500], "pixels": [192, 192], "count": [24, 6]}


def curved(**extra: object) -> CurvedWall:
    arc = {"center_m": [0, 0], "radius_m": 5.0, "start_deg": 150.0, **extra.pop("arc", {})}
    return CurvedWall.model_validate({"name": "main", "kind": "curved", "arc": arc, "cabinets": CABINETS,
                                      "output": {"node": "n1"}, **extra})


def test_curved_wall_from_cabinets_derives_sweep_height_columns_and_pixels() -> None:
    wall = curved()
    column_deg = math.degrees(2 * math.asin(0.25 / 5.0))
    assert wall.columns == 24 and wall.height_m == pytest.approx(3.0)
    assert wall.arc.end_deg == pytest.approx(150.0 - 24 * column_deg)
    assert wall_resolution_px(wall) == (24 * 192, 6 * 192)
    sections = wall_sections(wall)
    # Every facet is exactly one cabinet wide, laid edge to edge along the arc.
    assert [round(s.width_m, 9) for s in sections] == [0.5] * 24
    assert all(np.allclose(a.lower_right, b.lower_left) for a, b in zip(sections, sections[1:], strict=False))
    assert wall_size_m(wall) == pytest.approx((12.0, 3.0))


def test_curved_wall_values_given_beside_cabinets_must_agree() -> None:
    derived = curved()
    same = curved(arc={"end_deg": derived.arc.end_deg}, columns=24, height_m=3.0)
    assert same.arc.end_deg == derived.arc.end_deg
    with pytest.raises(ValidationError, match="arc sweep .* disagrees with 24 cabinets of 500 mm"):
        curved(arc={"end_deg": 30.0})
    with pytest.raises(ValidationError, match="columns 20 disagrees with cabinets.count"):
        curved(columns=20)
    with pytest.raises(ValidationError, match="height_m 4 disagrees"):
        curved(height_m=4.0)


def test_cabinet_wider_than_the_arc_is_refused() -> None:
    with pytest.raises(ValidationError, match="does not fit on an arc of radius 0.2 m"):
        curved(arc={"radius_m": 0.2, "end_deg": 10.0}, columns=24, height_m=3.0)


def test_exactly_one_resolution_source() -> None:
    base = {"name": "w", "kind": "flat", "output": {"node": "n1"},
            "corners": {"lower_left": [0, 5, 0], "lower_right": [8, 5, 0], "upper_left": [0, 5, 3]}}
    with pytest.raises(ValidationError, match=r"exactly one of .* \(got \['pixel_pitch_mm', 'cabinets'\]\)"):
        FlatWall.model_validate({**base, "pixel_pitch_mm": 2.6, "cabinets": CABINETS})
    with pytest.raises(ValidationError, match=r"\(got none\)"):
        FlatWall.model_validate(base)
    wall = FlatWall.model_validate({**base, "cabinets": {"size_mm": [500, 500], "pixels": [192, 192],
                                                         "count": [16, 6]}})
    assert wall_resolution_px(wall) == (3072, 1152)


def _demo_with_main(wall_yaml: str) -> str:
    text = (REPO / "configs" / "demo.yaml").read_text()
    start = text.index("  - name: main")
    end = text.index("  - name: side-right")
    return text[:start] + wall_yaml + text[end:]


PITCH_WALL = """  - name: main
    kind: flat
    corners:
      lower_left: [-3.0, 3.0, 0.0]
      lower_right: [-1.5, 3.0, 0.0]
      upper_left: [-3.0, 3.0, 1.0]
    pixel_pitch_mm: 10.4
    output: {node: node1}
"""


def test_pitch_that_rounds_warns_with_the_numbers(tmp_path: Path) -> None:
    # 1.5 m at 10.4 mm is 144.23 px: we would draw 144 columns whatever the cabinets have (as 1.5 m at 2.6 mm
    # gives 577 where 500 mm cabinets of 192 px give 576).
    path = tmp_path / "stage.yaml"
    path.write_text(_demo_with_main(PITCH_WALL).replace("scene: ../scenes/demo.yaml", "scene: null"))
    proc = subprocess.run([sys.executable, "-m", "stage.app.cli", "validate", str(path)], capture_output=True,
                          text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "warning:" in line]
    line = _line_of(path, "pixel_pitch_mm")
    assert warnings[0].startswith(f"{path}:{line}: walls[0].pixel_pitch_mm: warning: width 1.5 m at 10.4 mm is "
                                  "144.23 px, rounded to 144")
    assert "give `cabinets`" in warnings[0]
    assert "height 1 m at 10.4 mm is 96.15 px, rounded to 96" in warnings[1]


def _line_of(path: Path, key: str) -> int:
    return next(i for i, text in enumerate(path.read_text().splitlines(), 1) if key in text)


def test_cabinets_that_disagree_with_corners_warn(tmp_path: Path) -> None:
    wall = PITCH_WALL.replace("    pixel_pitch_mm: 10.4\n",
                              "    cabinets: {size_mm: [500, 500], pixels: [48, 48], count: [3, 3]}\n")
    path = tmp_path / "stage.yaml"
    path.write_text(_demo_with_main(wall).replace("scene: ../scenes/demo.yaml", "scene: null"))
    found = dict(stage_advice(load_stage_config(path), port_range=(60000, 60001)))
    # Width 1.5 m = 3 cabinets (fine); height 1 m against 3 rows of 0.5 m is off by 0.5 m.
    assert list(found) == [("walls", 0, "cabinets")]
    assert "height of 1.0000 m but 3 cabinets of 500 mm make 1.5000 m" in found[("walls", 0, "cabinets")]


def test_whole_pixel_pitch_and_shipped_configs_give_no_pitch_warning() -> None:
    for name in ("demo.yaml", "flat-wall.yaml", "volume-curved.yaml"):
        config = load_stage_config(REPO / "configs" / name)
        assert [f for f in stage_advice(config, port_range=(60000, 60001))] == [], name


def test_listening_ports_inside_the_ephemeral_range_warn() -> None:
    config = load_stage_config(REPO / "configs" / "demo.yaml")
    found = dict(stage_advice(config, port_range=(5557, 9000)))
    # 5557 (state), 5558 (render stats), 5560 (control) and 9000 (OSC) are inside; 5556 is below.
    assert sorted(found) == [("control", "endpoint"), ("control", "osc_port"), ("endpoints", "render_stats"),
                             ("endpoints", "state")]
    assert "port 9000 is inside this machine's ephemeral range 5557-9000" in found[("control", "osc_port")]
    assert stage_advice(config, port_range=(32768, 60999)) == []


def test_shipped_volume_is_exact_cabinets() -> None:
    config = load_stage_config(REPO / "configs" / "volume-curved.yaml")
    main = [w for w in config.walls if w.kind == "curved"]
    # Four sections of 14 cabinets laid end to end: each starts where the last one ends.
    assert all(a.arc.end_deg == pytest.approx(b.arc.start_deg, abs=1e-5) for a, b in zip(main, main[1:],
                                                                                         strict=False))
    assert [wall_resolution_px(w) for w in main] == [(2688, 2304)] * 4
