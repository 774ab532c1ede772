"""The one scene-path rule: which scene file a command uses, and where a relative path is looked up; and the
stage folder, where a stage's own files go (:func:`stage_folder`).

Every command that needs a scene (``stage up``, ``stage render``, ``stage validate``, ``stage golden``, the demo
and the render node) calls :func:`scene_file`; docs/scenes.md ("Which scene file") states the same rule.
"""

from __future__ import annotations

import os
from pathlib import Path


def scene_file(config_file: str | Path, config_scene: str | None, given: str | Path | None = None) -> Path | None:
    """The scene file to use, normalised (not made absolute), or None when there is none.

    Precedence:

    1. ``given`` — typed by a person (``--scene``, ``stage scene PATH``) or carried in the live state — wins over
       the config's ``scene:``. An absolute path is used as is. A relative one is looked up in the **working
       directory** first (where the person typed it) and **beside the config file** when it is not there; when it
       exists in neither, the working-directory path is returned so the error names what was typed.
    2. Else the config's ``scene:``, relative to the **config file** (a path written in a file is relative to that
       file; the working directory does not matter).
    3. Else None.
    """
    if given is not None and str(given) != "":
        path = Path(given)
        if path.is_absolute() or path.exists():
            return Path(os.path.normpath(path))
        beside = Path(config_file).parent / path
        return Path(os.path.normpath(beside if beside.exists() else path))
    if config_scene:
        return Path(os.path.normpath(Path(config_file).parent / config_scene))
    return None


STAGE_FOLDER_SUFFIX = ".stage"
"""Default stage folder: ``<config dir>/<config stem>.stage/``."""


def stage_folder(config_file: str | Path, folder: str | None = None) -> Path:
    """The stage folder of ``config_file``, normalised: ``folder`` (the config's ``files.folder``) relative to the
    config file when given, else ``<config stem>.stage/`` beside it. The working directory plays no part beyond
    making a relative ``config_file`` absolute, so every command run from anywhere finds the same files."""
    config_path = Path(os.path.abspath(config_file))
    if folder:
        return Path(os.path.normpath(config_path.parent / folder))
    return config_path.parent / f"{config_path.stem}{STAGE_FOLDER_SUFFIX}"


def stage_files(config_file: str | Path, folder: str | None = None) -> dict[str, Path]:
    """The stage folder and its parts: ``folder``, ``logs``, ``presets``, ``takes``."""
    root = stage_folder(config_file, folder)
    return {"folder": root, "logs": root / "logs", "presets": root / "presets", "takes": root / "takes"}
