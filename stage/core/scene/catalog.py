"""The scenes a stage can switch to: every ``*.yaml`` beside its start scene, listed without loading them.

Scenes are loaded lazily and one at a time: ``stage up`` loads only its start scene; another scene is checked when
it is selected (:class:`SceneChecks`, cached by file size and modification time), so a broken scene in the folder is
refused when chosen and never stops a show. ``stage validate`` checks them all (:func:`scene_problems`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from stage.core.config.errors import ConfigError
from stage.core.scene.assets import AssetError

log = logging.getLogger(__name__)

MAX_SCENES = 256
"""Most scenes offered from one folder (the first ones by name)."""


def scene_candidates(first: Path) -> list[str]:
    """``first`` (absolute) and the other regular ``*.yaml`` files in its folder, sorted; nothing is loaded."""
    first = Path(os.path.abspath(first))
    try:
        others = sorted(p for p in first.parent.glob("*.yaml") if p != first and p.is_file())
    except OSError as exc:
        log.warning("scene folder %s: cannot list: %s", first.parent, exc.strerror or exc)
        others = []
    if len(others) >= MAX_SCENES:
        log.warning("scene folder %s: only the first %d scenes are offered", first.parent, MAX_SCENES)
    return [str(first), *(str(p) for p in others[: MAX_SCENES - 1])]


def scene_problems(path: str | Path, stage_color: Any = None) -> list[str]:
    """Every problem of the scene file at ``path`` as ``file:line: key: reason`` lines; empty when it loads. With
    ``stage_color`` (the stage's colour management) its textures' colour spaces are checked against the stage's
    OCIO config, as when the stage loads it."""
    from stage.core.config.loader import load_scene_config

    try:
        load_scene_config(path, stage_color)
    except ConfigError as exc:
        return exc.lines()
    except AssetError as exc:
        return [f"{path}: {exc}"]
    except Exception as exc:  # noqa: BLE001 - last resort: a scene file never takes the caller down
        log.debug("scene %s failed to load", path, exc_info=exc)
        return [f"{path}: cannot load: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"]
    return []


class SceneChecks:
    """:func:`scene_problems`, remembered per file until the file's size or modification time changes."""

    def __init__(self, stage_color: Any = None) -> None:
        self.stage_color = stage_color
        """The stage's colour management (:func:`scene_problems`); replaced when a reload changes it."""
        self._cache: dict[str, tuple[tuple[int, int], list[str]]] = {}

    def recolor(self, stage_color: Any) -> None:
        """Check against ``stage_color`` from now on (a reloaded config); forgets what was checked before."""
        if stage_color != self.stage_color:
            self.stage_color = stage_color
            self._cache.clear()

    def problem(self, path: str) -> str | None:
        """The first problem of the scene at ``path`` (one line), or None when it loads."""
        try:
            info = os.stat(path)
            key = (info.st_size, info.st_mtime_ns)
        except OSError as exc:
            return f"{path}: {exc.strerror or exc}"
        cached = self._cache.get(path)
        if cached is None or cached[0] != key:
            cached = (key, scene_problems(path, self.stage_color))
            self._cache[path] = cached
            if cached[1]:
                log.warning("scene %s refused: %s", path, cached[1][0])
        return cached[1][0] if cached[1] else None
