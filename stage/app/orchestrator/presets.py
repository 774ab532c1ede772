"""Preset files: named snapshots of the whole :class:`~stage.core.live.LiveState`, one YAML file per preset.

``<presets_dir>/<name>.yaml`` holds ``{v: 1, name: ..., state: {...}}``. Writes are atomic: a hidden temporary
file in the same directory is written, fsynced and renamed over the target, so a crash leaves either the old or
the new preset, never half of one; leftover ``.*.tmp`` files are never listed as presets.

The scene path in a preset is stored relative to the **stage folder** (``scene_base``,
:func:`stage.core.config.paths.stage_folder`), so a stage folder moved or shared with its scenes, or a
``stage up`` run from another working directory, recalls the same scene. Reading accepts the older forms too: an
absolute path is used as is, and a relative one that is not found under the stage folder is passed on unchanged
(then looked up in the working directory and beside the config, like a typed path).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import yaml
from pydantic import ValidationError

from stage.app.orchestrator.files import atomic_write
from stage.core.config.loader import safe_load
from stage.core.live import LiveState

log = logging.getLogger(__name__)

PRESET_VERSION = 1
SUFFIX = ".yaml"
MAX_PRESET_BYTES = 1024 * 1024
MAX_PRESETS = 500
"""Presets one folder may hold: a save under a new name beyond this is refused."""
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class PresetError(ValueError):
    """A preset that cannot be named, found, read or written; one-line message. ``reason``: ``invalid`` (refused,
    nothing changed) or ``failed`` (the disk said no)."""

    def __init__(self, message: str, reason: str = "invalid"):
        super().__init__(message)
        self.reason = reason


def check_name(name: str) -> str:
    """A valid preset name (letters, digits, ``_ . -``, no slashes, at most 64 characters) or :class:`PresetError`."""
    if not isinstance(name, str) or not NAME_RE.match(name) or name.endswith(".tmp"):
        raise PresetError(f"preset name {name!r}: use letters, digits, '_', '.', '-' (no slashes, max 64)")
    return name


def preset_path(presets_dir: Path, name: str) -> Path:
    return presets_dir / f"{check_name(name)}{SUFFIX}"


def list_presets(presets_dir: Path) -> list[str]:
    """Names of the saved presets, sorted (temporary and hidden files excluded)."""
    if not presets_dir.is_dir():
        return []
    return sorted(p.name[: -len(SUFFIX)] for p in presets_dir.iterdir()
                  if p.is_file() and p.name.endswith(SUFFIX) and not p.name.startswith(".")
                  and NAME_RE.match(p.name[: -len(SUFFIX)]))


def stored_scene(scene: str | None, scene_base: Path | None) -> str | None:
    """The scene path as a preset stores it: relative to ``scene_base`` (POSIX separators) when both are absolute
    paths on one file system root; else unchanged."""
    if scene is None or scene_base is None or not os.path.isabs(scene) or not Path(scene_base).is_absolute():
        return scene
    try:
        return Path(os.path.relpath(scene, scene_base)).as_posix()
    except ValueError:  # another drive (Windows)
        return scene


def loaded_scene(scene: str | None, scene_base: Path | None) -> str | None:
    """The scene path of a read preset: a relative path that exists under ``scene_base`` made absolute; anything
    else (absolute, or an older preset's path not found there) unchanged."""
    if scene is None or scene_base is None or os.path.isabs(scene):
        return scene
    # Lexically, as stored_scene made it: the stage folder itself need not exist (presets may be kept elsewhere),
    # and the kernel would not walk ``..`` out of a missing folder.
    candidate = os.path.normpath(Path(scene_base) / scene)
    return candidate if os.path.isfile(candidate) else scene


def write_preset(presets_dir: Path, name: str, state: LiveState, limit: int = MAX_PRESETS,
                 scene_base: Path | None = None) -> Path:
    """Atomically write ``state`` as preset ``name`` (tmp + fsync + rename); returns the file. A new name beyond
    ``limit`` presets is refused (overwriting an existing one is always allowed). The scene path is stored relative
    to ``scene_base`` (:func:`stored_scene`)."""
    target = preset_path(presets_dir, name)
    try:
        presets_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # e.g. a file where the folder should be (NotADirectoryError)
        raise PresetError(f"preset {name}: cannot make {presets_dir}: {exc.strerror or exc}") from None
    if not target.exists() and len(list_presets(presets_dir)) >= limit:
        raise PresetError(f"preset {name}: {presets_dir} already holds {limit} presets (the limit): "
                          "overwrite or delete one")
    doc = state.model_dump(mode="json")
    doc["scene"] = stored_scene(state.scene, scene_base)
    text = yaml.safe_dump({"v": PRESET_VERSION, "name": name, "state": doc}, sort_keys=False)
    try:
        atomic_write(target, text.encode("utf-8"))
    except OSError as exc:
        raise PresetError(f"preset {name}: cannot write {target}: {exc.strerror or exc}", "failed") from None
    log.info("saved preset %s to %s", name, target)
    return target


def read_preset(presets_dir: Path, name: str, scene_base: Path | None = None) -> LiveState:
    """Load preset ``name``, its scene resolved against ``scene_base`` (:func:`loaded_scene`); an unknown name or
    a corrupt file raises :class:`PresetError` naming it."""
    path = preset_path(presets_dir, name)
    if not path.is_file():
        known = ", ".join(list_presets(presets_dir)) or "none"
        raise PresetError(f"unknown preset {name!r} (known: {known})")
    try:
        raw = path.read_bytes()
        if len(raw) > MAX_PRESET_BYTES:
            raise PresetError(f"preset {name}: {path}: file too large ({len(raw)} bytes)")
        data = safe_load(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PresetError(f"preset {name}: {path}: unreadable ({reason})") from None
    if not isinstance(data, dict) or not isinstance(data.get("state"), dict):
        raise PresetError(f"preset {name}: {path}: not a preset (expected a mapping with 'state')")
    if data.get("v") != PRESET_VERSION:
        raise PresetError(f"preset {name}: {path}: unsupported version {data.get('v')!r}")
    try:
        state = LiveState.model_validate(data["state"])
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = ".".join(map(str, err["loc"]))
        raise PresetError(f"preset {name}: {path}: state.{loc}: {err['msg']}") from None
    return state.model_copy(update={"scene": loaded_scene(state.scene, scene_base)})
