"""Every shipped config and scene loads; the generated reference is current."""

from __future__ import annotations

from pathlib import Path

import pytest

from stage.app.docgen import DOC_PATH, generate
from stage.app.docgen import main as docgen_main
from stage.core.config import load_scene_config, load_stage_config
from stage.core.config.wall_geometry import wall_resolution_px

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", sorted((REPO / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_every_config_loads(path: Path) -> None:
    config = load_stage_config(path)
    assert config.walls and config.nodes


@pytest.mark.parametrize("path", sorted((REPO / "scenes").glob("*.yaml")), ids=lambda p: p.name)
def test_every_scene_loads(path: Path) -> None:
    assert load_scene_config(path).name


def test_demo_is_small_enough_for_a_cpu() -> None:
    config = load_stage_config(REPO / "configs" / "demo.yaml")
    kinds = sorted(w.kind for w in config.walls)
    assert kinds == ["ceiling", "flat", "flat"]
    pixels = sum(w * h for w, h in map(wall_resolution_px, config.walls))
    assert 100_000 <= pixels <= 500_000
    assert [s.kind for s in config.sources] == ["simulated"] and len(config.cameras) == 1


def test_curved_volume_is_realistic() -> None:
    config = load_stage_config(REPO / "configs" / "volume-curved.yaml")
    curved = [w for w in config.walls if w.kind == "curved"]
    sweep = sum(w.arc.start_deg - w.arc.end_deg for w in curved)
    assert 260 <= sweep <= 280
    assert all(w.height_m == pytest.approx(6.0) for w in curved)
    # 0.5 m cabinets at ~2.6 mm: 192 px per column
    assert all(wall_resolution_px(w)[0] // w.columns == 192 for w in curved)
    assert any(w.kind == "ceiling" for w in config.walls)
    assert len(config.nodes) >= 4


def test_flat_wall_has_one_freed_camera() -> None:
    config = load_stage_config(REPO / "configs" / "flat-wall.yaml")
    assert [w.kind for w in config.walls] == ["flat"]
    assert [s.kind for s in config.sources] == ["freed"] and len(config.cameras) == 1


def test_config_reference_is_generated_and_current() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == generate(), "docs/config.md is stale: run `make docs`"


def test_generated_blocks_of_hand_written_docs_are_current() -> None:
    assert docgen_main(["--check"]) == 0, "a generated doc is stale: run `make docs`"


@pytest.mark.parametrize("path", sorted((REPO / "configs" / "poses").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_poses_file_loads(path: Path) -> None:
    from stage.core.golden_poses import load_poses

    demo = load_stage_config(REPO / "configs" / "demo.yaml")
    assert load_poses(path, [c.id for c in demo.cameras])


def test_nothing_else_hides_under_configs() -> None:
    known = {"poses": "*.yaml", "luts": "*.cube", "ocio": "*/config.ocio"}  # ocio: one folder per OCIO config
    for path in (REPO / "configs").rglob("*"):
        if path.is_file() and path.parent != REPO / "configs":
            top = path.relative_to(REPO / "configs").parts[0]
            assert top in known and path.match(known[top]), f"unexpected file {path}"
