"""One scene resolver with one precedence (stage/core/config/paths.py), used by every command and the render node."""

from __future__ import annotations

from pathlib import Path

import pytest

from stage.core.config.paths import scene_file


@pytest.fixture
def layout(tmp_path, monkeypatch):
    """``work/`` (the working directory) and ``stage/c.yaml`` with a ``scene.yaml`` in both folders."""
    work, stage = tmp_path / "work", tmp_path / "stage"
    for d in (work, stage):
        d.mkdir()
        (d / "scene.yaml").write_text("")
    (stage / "only-beside.yaml").write_text("")
    monkeypatch.chdir(work)
    return work, stage / "c.yaml"


def test_config_scene_is_relative_to_the_config_file_whatever_the_working_directory(layout) -> None:
    _, config = layout
    assert scene_file(config, "scene.yaml") == config.parent / "scene.yaml"


def test_a_given_path_beats_the_config_and_is_looked_up_in_the_working_directory_first(layout) -> None:
    work, config = layout
    assert scene_file(config, "other.yaml", "scene.yaml") == Path("scene.yaml")  # the cwd's, as typed
    assert scene_file(config, None, "only-beside.yaml") == config.parent / "only-beside.yaml"
    assert scene_file(config, None, "missing.yaml") == Path("missing.yaml")  # the error names what was typed
    assert scene_file(config, None, str(config.parent / "scene.yaml")) == config.parent / "scene.yaml"
    assert scene_file(config, None, None) is None and scene_file(config, None, "") is None


def test_every_command_uses_the_one_resolver() -> None:
    """No command or node keeps its own copy of the scene-path rule."""
    root = Path(__file__).resolve().parents[2]
    users = ["stage/app/commands/render.py", "stage/app/commands/validate.py", "stage/app/commands/golden.py",
             "stage/app/orchestrator/stage_up.py", "stage/app/orchestrator/demo_run.py", "renderer/node.py"]
    for rel in users:
        text = (root / rel).read_text()
        assert "scene_file(" in text, rel
        assert ".parent / config.scene" not in text and ".parent / self.config.scene" not in text, rel
