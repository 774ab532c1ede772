"""Presets store their scene relative to the stage folder and recall it from any working directory; older presets
(absolute paths, or paths as typed) still recall (issue 13, "Where files go")."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stage.app.orchestrator.store import StateStore
from stage.core.config.loader import load_stage_config
from stage.core.live import LiveState
from tests.procs import REPO


def _store(root: Path) -> StateStore:
    """The demo stage laid out as a crew would: ``configs/demo.yaml``, ``scenes/*.yaml``, stage folder
    ``configs/demo.stage/``. Scene files are placeholders (the store does not load them)."""
    scenes = []
    for name in ("demo", "night"):
        path = root / "scenes" / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("placeholder\n")
        scenes.append(str(path))
    config = load_stage_config(REPO / "configs" / "demo.yaml")
    folder = root / "configs" / "demo.stage"
    state = LiveState.from_config(config, scene=scenes[0])
    return StateStore(config, scenes, state, folder / "presets", scene_base=folder)


def test_preset_scene_is_relative_and_recalls_from_another_cwd(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = _store(tmp_path / "show")
    store.set_scene("night")
    path = store.save_preset("look")
    assert yaml.safe_load(path.read_text())["state"]["scene"] == "../../scenes/night.yaml"

    # the whole show folder moves (another machine, another mount point) and the stage runs from elsewhere
    (tmp_path / "show").rename(tmp_path / "moved")
    (tmp_path / "other-cwd").mkdir()
    monkeypatch.chdir(tmp_path / "other-cwd")
    store = _store(tmp_path / "moved")
    assert store.scene_name == "demo"
    applied = store.recall_preset("look")
    assert applied["scene"] == str(tmp_path / "moved" / "scenes" / "night.yaml")
    assert store.scene_name == "night"


def test_old_preset_with_an_absolute_scene_still_recalls(tmp_path: Path) -> None:
    store = _store(tmp_path)
    night = str(tmp_path / "scenes" / "night.yaml")
    store.presets_dir.mkdir(parents=True)
    doc = {"v": 1, "name": "old", "state": {**store.state.model_dump(mode="json"), "scene": night}}
    (store.presets_dir / "old.yaml").write_text(yaml.safe_dump(doc))
    assert store.recall_preset("old")["scene"] == night


def test_scene_path_resolves_when_the_stage_folder_does_not_exist(tmp_path: Path) -> None:
    """Presets kept elsewhere (``--presets``): the stage folder the path is relative to was never made, and the
    scene lies outside it (a CI clone in another temporary folder failed exactly so)."""
    from stage.app.orchestrator.presets import loaded_scene, stored_scene

    scene = tmp_path / "elsewhere" / "scenes" / "demo.yaml"
    scene.parent.mkdir(parents=True)
    scene.write_text("name: x\n")
    base = tmp_path / "show" / "stage.stage"  # never created
    stored = stored_scene(str(scene), base)
    assert stored == "../../elsewhere/scenes/demo.yaml"
    assert loaded_scene(stored, base) == str(scene)
