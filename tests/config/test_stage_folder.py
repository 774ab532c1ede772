"""The stage folder: where a stage's logs, presets and takes go, derived from the config file alone (issue 13,
"Where files go"; docs/operator-guide.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stage.core.config.paths import stage_files, stage_folder
from stage.core.config.stage import Files


def test_default_is_beside_the_config_whatever_the_working_directory(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "configs" / "my-stage.yaml"
    config.parent.mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path)
    from_root = stage_folder("configs/my-stage.yaml")
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert stage_folder("../configs/my-stage.yaml") == from_root == config.parent / "my-stage.stage"
    assert stage_folder(config) == from_root


def test_files_folder_is_relative_to_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "configs" / "my-stage.yaml"
    monkeypatch.chdir(tmp_path)
    assert stage_folder(config, "../show-files") == tmp_path / "show-files"
    assert stage_folder(config, str(tmp_path / "abs")) == tmp_path / "abs"
    files = stage_files(config, "../show-files")
    assert files == {"folder": tmp_path / "show-files", "logs": tmp_path / "show-files" / "logs",
                     "presets": tmp_path / "show-files" / "presets", "takes": tmp_path / "show-files" / "takes"}


def test_files_folder_key_is_strict() -> None:
    assert Files().folder is None
    with pytest.raises(ValueError):
        Files(folder="")
    with pytest.raises(ValueError):
        Files.model_validate({"dir": "x"})
