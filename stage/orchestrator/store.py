"""The orchestrator's live state: every change (OSC, CLI, preset, undo) goes through one :class:`StateStore`.

The store checks a change against the value rules (:data:`stage.orchestrator.osc_map.RULES`: clamped or
rejected), applies it atomically, keeps an undo stack, tells listeners (the OSC echo) and accumulates the changed
paths until the orchestrator's frame loop takes them as one coalesced delta (:meth:`StateStore.take_delta`).
Single-threaded: the orchestrator's poll loop owns it.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stage.config.stage import StageConfig
from stage.live import LiveState
from stage.orchestrator.osc_map import ChangeError, coerce
from stage.orchestrator.presets import PresetError, list_presets, read_preset, write_preset
from stage.wire.state import apply_changes

__all__ = ["ChangeError", "StateStore", "flatten"]

log = logging.getLogger(__name__)

UNDO_DEPTH = 256
Listener = Callable[[dict[str, Any], str], None]


def flatten(state: LiveState) -> dict[str, Any]:
    """``{dotted.path: value}`` of every live parameter (JSON values; a card's ``name`` is not a parameter)."""
    out: dict[str, Any] = {}
    for key, value in state.model_dump(mode="json").items():
        if key in ("walls", "light_cards"):
            for name, sub in value.items():
                for leaf, v in sub.items():
                    if leaf != "name":
                        out[f"{key}.{name}.{leaf}"] = v
        elif key == "camera_delay_ms":
            for name, v in value.items():
                out[f"{key}.{name}"] = v
        else:
            out[key] = value
    return out


def _norm(path: str) -> str:
    return os.path.normpath(path)


class StateStore:
    """Owner of the live state: validated changes, undo, presets, coalesced deltas, change listeners."""

    def __init__(self, config: StageConfig, scenes: list[str], initial: LiveState, presets_dir: Path):
        self.config = config
        self.scenes = [str(s) for s in scenes]
        self.state = initial
        self.rev = 0
        self.presets_dir = Path(presets_dir)
        self._flat = flatten(initial)
        self._cameras = [c.id for c in config.cameras]
        self._undo: deque[LiveState] = deque(maxlen=UNDO_DEPTH)
        self._pending: dict[str, Any] = {}
        self._pending_base = 0
        self._listeners: list[Listener] = []
        self.check_scene: Callable[[str], str | None] | None = None
        """Why a scene file cannot be shown (one line) or None; asked when a scene is selected (scenes load
        lazily: a broken one is refused, the show goes on)."""

    # ---- changes ------------------------------------------------------------------------------------------

    def set(self, path: str, value: Any, source: str = "cli") -> dict[str, Any]:
        """Check (clamping where documented) and apply one parameter; returns ``{path: value as now held}``.
        Raises :class:`ChangeError` and leaves the state unchanged when the change is refused."""
        if path == "scene":
            return self.set_scene(value, source)
        return self.set_many({path: value}, source)

    def set_many(self, changes: dict[str, Any], source: str = "cli") -> dict[str, Any]:
        """Apply several parameters atomically (all or nothing); returns the checked values."""
        if not isinstance(changes, dict) or not changes:
            raise ChangeError("no changes given", "invalid")
        checked: dict[str, Any] = {}
        for path, value in changes.items():
            if not isinstance(path, str):
                raise ChangeError(f"{path!r}: parameter names are strings", "invalid")
            if path == "scene":
                checked[path] = self._scene_path(value)
            else:
                checked[path] = coerce(path, value, self.state, self._cameras)
        self._commit(self._applied(checked), source)
        return checked

    def set_scene(self, name_or_path: str, source: str = "cli") -> dict[str, Any]:
        """Switch to a scene named by file stem or path; unknown → :class:`ChangeError` listing the scenes."""
        path = self._scene_path(name_or_path)
        self._commit(self._applied({"scene": path}), source)
        return {"scene": path}

    def next_scene(self, source: str = "osc") -> dict[str, Any]:
        """Step to the next scene in ``scenes`` (wrapping to the first)."""
        if not self.scenes:
            raise ChangeError("scene: no scenes configured", "invalid")
        current = _norm(self.state.scene) if self.state.scene else None
        index = next((i for i, s in enumerate(self.scenes) if _norm(s) == current), -1)
        refused: ChangeError | None = None
        for step in range(1, len(self.scenes) + 1):  # skip broken scenes
            try:
                return self.set_scene(self.scenes[(index + step) % len(self.scenes)], source)
            except ChangeError as exc:
                refused = refused or exc
        raise refused or ChangeError("scene: no scenes configured", "invalid")

    def undo(self) -> dict[str, Any]:
        """Revert the last applied change set (a preset recall is one); returns the restored values."""
        if not self._undo:
            raise ChangeError("nothing to undo", "invalid")
        return self._commit(self._undo.pop(), "undo", push_undo=False)

    # ---- presets ------------------------------------------------------------------------------------------

    def save_preset(self, name: str) -> Path:
        """Write the whole live state as preset ``name`` (atomic); returns the file."""
        try:
            return write_preset(self.presets_dir, name, self.state)
        except PresetError as exc:
            raise ChangeError(str(exc), "invalid") from None

    def recall_preset(self, name: str) -> dict[str, Any]:
        """Apply preset ``name`` in one step (one undo entry); returns the parameters that changed.

        Walls, cards and cameras the current stage doesn't have are ignored; the preset's scene must be known.
        """
        try:
            loaded = read_preset(self.presets_dir, name)
        except PresetError as exc:
            raise ChangeError(str(exc), "unknown_name" if "unknown preset" in str(exc) else "invalid") from None
        wanted = flatten(loaded)
        changes = {p: v for p, v in wanted.items() if p in self._flat and p != "scene"}
        ignored = sorted(set(wanted) - set(self._flat) - {"scene"})
        if ignored:
            log.info("preset %s: ignoring parameters this stage lacks: %s", name, ", ".join(ignored))
        if loaded.scene is not None:
            try:
                changes["scene"] = self._scene_path(loaded.scene)
            except ChangeError as exc:
                raise ChangeError(f"preset {name}: {exc}", "invalid") from None
        try:
            new = apply_changes(self.state, changes)
        except ValueError as exc:
            raise ChangeError(f"preset {name}: {exc}", "invalid") from None
        return self._commit(new, "preset")

    def presets(self) -> list[str]:
        """Names of the saved presets."""
        return list_presets(self.presets_dir)

    # ---- readers ------------------------------------------------------------------------------------------

    def take_delta(self) -> tuple[int, int, dict[str, Any]] | None:
        """``(rev, base_rev, changes)`` coalescing every change since the last take (last value per path), or
        None when nothing changed; the orchestrator publishes at most one per frame."""
        if not self._pending:
            return None
        delta = (self.rev, self._pending_base, self._pending)
        self._pending = {}
        return delta

    def parameters(self) -> dict[str, Any]:
        """Flat ``{dotted.path: value}`` of every live parameter."""
        return dict(self._flat)

    @property
    def scene_name(self) -> str | None:
        """The current scene's name (file stem)."""
        return Path(self.state.scene).stem if self.state.scene else None

    def add_listener(self, fn: Listener) -> None:
        """Call ``fn(changes, source)`` after every applied change (not for no-op changes)."""
        self._listeners.append(fn)

    # ---- internals ----------------------------------------------------------------------------------------

    def _scene_path(self, name_or_path: Any) -> str:
        if not isinstance(name_or_path, str) or not name_or_path:
            raise ChangeError("scene: expected a scene name or path", "arg_type")
        for scene in self.scenes:
            if name_or_path == scene or Path(scene).stem == name_or_path or _norm(scene) == _norm(name_or_path):
                problem = self.check_scene(scene) if self.check_scene is not None else None
                if problem:
                    raise ChangeError(f"scene {Path(scene).stem!r} refused: {problem}", "invalid")
                return scene
        known = ", ".join(Path(s).stem for s in self.scenes) or "none"
        raise ChangeError(f"scene {name_or_path!r}: unknown (known: {known})", "unknown_name")

    def _applied(self, checked: dict[str, Any]) -> LiveState:
        try:
            return apply_changes(self.state, checked)
        except ValueError as exc:
            raise ChangeError(str(exc), "invalid") from None

    def _commit(self, new: LiveState, source: str, push_undo: bool = True) -> dict[str, Any]:
        """Make ``new`` current; returns (and notifies, and queues for the next delta) what actually changed."""
        new_flat = flatten(new)
        changes = {p: v for p, v in new_flat.items() if self._flat.get(p, _MISSING) != v}
        if not changes:
            return {}
        if push_undo:
            self._undo.append(self.state)
        self.state, self._flat = new, new_flat
        if not self._pending:
            self._pending_base = self.rev
        self.rev += 1
        self._pending.update(changes)
        for fn in self._listeners:
            try:
                fn(changes, source)
            except Exception:  # a listener must never undo an applied change
                log.exception("state listener %r failed", fn)
        return changes


_MISSING = object()
