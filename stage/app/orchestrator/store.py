"""The orchestrator's live state: every change (OSC, CLI, preset, undo) goes through one :class:`StateStore`.

The store checks a change against the value rules (:data:`stage.app.orchestrator.osc_map.RULES`: clamped or
rejected), applies it atomically, keeps an undo stack, tells listeners (the OSC echo) and accumulates the changed
paths until the orchestrator's frame loop takes them as one coalesced delta (:meth:`StateStore.take_delta`).
Single-threaded: the orchestrator's poll loop owns it.
"""

from __future__ import annotations

import json
import logging
import os
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stage.app.orchestrator.disk import DiskWorker
from stage.app.orchestrator.journal import Journal
from stage.app.orchestrator.osc_map import ChangeError, coerce
from stage.app.orchestrator.presets import PresetError, check_name, list_presets, read_preset, write_preset
from stage.core.color.ocio import OcioError
from stage.core.config.paths import scene_file
from stage.core.config.stage import StageConfig
from stage.core.live import LiveState, check_color_change, reconcile
from stage.core.wire.state import apply_changes

__all__ = ["ChangeError", "StateStore", "flatten"]

log = logging.getLogger(__name__)
audit = logging.getLogger("stage.audit")
"""One INFO line per applied change, ``origin: path old → new``: the audit trail of the shoot (``stage up`` writes it
to ``stage-up.log``; the terminal shows it with ``-v``)."""

UNDO_DEPTH = 256
Listener = Callable[[dict[str, Any], str], None]
SaveDone = Callable[[Path | None, ChangeError | None], None]
"""``on_done(path, error)`` of a preset save: the file, or why not (``reason`` ``invalid`` or ``failed``)."""


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

    def __init__(self, config: StageConfig, scenes: list[str], initial: LiveState, presets_dir: Path,
                 scene_base: Path | None = None):
        self.config = config
        self.scenes = [str(s) for s in scenes]
        self.state = initial
        self.rev = 0
        self.presets_dir = Path(presets_dir)
        self.scene_base = Path(os.path.abspath(scene_base if scene_base is not None else self.presets_dir.parent))
        """The stage folder: presets store their scene path relative to it (:mod:`.presets`)."""
        self._flat = flatten(initial)
        self._cameras = [c.id for c in config.cameras]
        self._undo: deque[LiveState] = deque(maxlen=UNDO_DEPTH)
        self._pending: dict[str, Any] = {}
        self._pending_base = 0
        self._listeners: list[Listener] = []
        self.config_file: Path | None = None
        """The stage config file: a relative scene path is also looked up beside it."""
        self.disk: DiskWorker | None = None
        """When set, preset files are written on this worker's thread (:meth:`save_preset_later`)."""
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
        new = self._applied(checked)
        try:
            new = check_color_change(self.config, self.state, new, set(checked))
        except OcioError as exc:
            raise ChangeError(str(exc), "unknown_name") from None
        self._commit(new, source)
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

    def adopt_config(self, config: StageConfig) -> dict[str, Any]:
        """Follow an edited config (``stage reload``): new walls and light cards join the live state with their
        config values, removed ones leave it (and the undo history), existing ones keep their live values
        (:func:`stage.core.live.reconcile`). Returns the parameters added or changed; not an undo step."""
        self.config = config
        self._cameras = [c.id for c in config.cameras]
        self._undo = deque((reconcile(s, config) for s in self._undo), maxlen=UNDO_DEPTH)
        new = reconcile(self.state, config)
        gone = sorted(set(self._flat) - set(flatten(new)))
        if gone:
            log.info("reload: %s no longer in the config, dropped from the live state", ", ".join(gone))
        return self._commit(new, "reload", push_undo=False, force=bool(gone))

    # ---- presets ------------------------------------------------------------------------------------------

    def save_preset(self, name: str) -> Path:
        """Write the whole live state as preset ``name`` now (atomic); returns the file."""
        try:
            return write_preset(self.presets_dir, name, self.state, scene_base=self.scene_base)
        except PresetError as exc:
            raise ChangeError(str(exc), "invalid") from None

    def save_preset_later(self, name: str, on_done: SaveDone) -> None:
        """Save the state as it is now as preset ``name`` on the disk worker (at once without one);
        ``on_done(path, error)`` runs on the caller's thread when it is written. A bad name, or a worker with too
        much waiting (a flood of saves), raises :class:`ChangeError` at once."""
        try:
            check_name(name)
        except PresetError as exc:
            raise ChangeError(str(exc), "invalid") from None
        state, directory, base = self.state, self.presets_dir, self.scene_base

        def done(path: Path | None, error: BaseException | None) -> None:
            if error is None:
                on_done(path, None)
            else:
                on_done(None, ChangeError(str(error), getattr(error, "reason", "failed")))

        if self.disk is None:
            try:
                path = write_preset(directory, name, state, scene_base=base)
            except Exception as exc:
                done(None, exc)
                return
            done(path, None)
            return

        if not self.disk.submit(lambda: write_preset(directory, name, state, scene_base=base), done):
            raise ChangeError(f"preset {name}: busy writing earlier presets, try again", "busy")

    def recall_preset(self, name: str) -> dict[str, Any]:
        """Apply preset ``name`` in one step (one undo entry); returns the parameters that changed.

        Walls, cards and cameras the current stage doesn't have are ignored; the preset's scene must be known.
        """
        try:
            loaded = read_preset(self.presets_dir, name, self.scene_base)
        except PresetError as exc:
            raise ChangeError(str(exc), "unknown_name" if "unknown preset" in str(exc) else "invalid") from None
        try:
            new = self._rebased(loaded, f"preset {name}")
        except ChangeError as exc:
            raise ChangeError(f"preset {name}: {exc}", "invalid") from None
        return self._commit(new, f"preset {name}")

    def restore(self, journal: Journal) -> list[str]:
        """Take over the live state and undo history of a journal (after a crash or a stop), as checked against
        this stage: parameters it lacks are dropped, an unknown scene keeps the current one, entries that no longer
        validate are skipped. Sets the revision to the journal's. Returns one line per thing not restored."""
        problems: list[str] = []

        def adopt(doc: dict[str, Any], what: str) -> LiveState | None:
            try:
                loaded = LiveState.model_validate(doc)
            except ValueError as exc:
                problems.append(f"{what}: {str(exc).splitlines()[0]}")
                return None
            try:
                return self._rebased(loaded, what, problems)
            except ChangeError as exc:
                problems.append(f"{what}: {exc}")
                return None

        state = adopt(journal.state, "state")
        if state is None:
            return problems
        undo = [u for i, doc in enumerate(journal.undo[-UNDO_DEPTH:]) if (u := adopt(doc, f"undo[{i}]"))]
        self.state, self._flat = state, flatten(state)
        self._undo = deque(undo, maxlen=UNDO_DEPTH)
        self.rev = max(self.rev, journal.rev)
        self._pending, self._pending_base = {}, self.rev
        return problems

    def undo_history(self) -> list[LiveState]:
        """The undo stack, oldest first (the journal keeps it)."""
        return list(self._undo)

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
            if name_or_path in (scene, Path(scene).stem, Path(scene).name) or _norm(scene) == _norm(name_or_path):
                problem = self.check_scene(scene) if self.check_scene is not None else None
                if problem:
                    raise ChangeError(f"scene {Path(scene).stem!r} refused: {problem}", "invalid")
                return scene
        path = self._scene_by_path(name_or_path)
        if path is not None:
            return path
        known = ", ".join(Path(s).stem for s in self.scenes) or "none"
        raise ChangeError(f"scene {name_or_path!r}: unknown (known: {known}; or give a path to a scene file)",
                          "unknown_name")

    def _scene_by_path(self, given: str) -> str | None:
        """A scene outside the list, given as a path (absolute, or relative to the orchestrator's working directory
        or to the config: :func:`stage.core.config.paths.scene_file`): checked, then added to ``scenes``; None when no
        such file exists."""
        if not given.endswith((".yaml", ".yml")) and "/" not in given:
            return None
        resolved = scene_file(self.config_file or "stage.yaml", None, given)
        if resolved is None or not resolved.is_file():
            return None
        path = os.path.abspath(resolved)
        problem = self.check_scene(path) if self.check_scene is not None else None
        if problem:
            raise ChangeError(f"scene {given!r} refused: {problem}", "invalid")
        self.scenes.append(path)
        log.info("scene %s added to the scene choices", path)
        return path

    def _rebased(self, loaded: LiveState, what: str, problems: list[str] | None = None) -> LiveState:
        """``loaded`` applied over the current state: walls, cards and cameras this stage lacks are ignored; an
        unknown scene raises :class:`ChangeError`, or — when ``problems`` is given — keeps the current scene."""
        wanted = flatten(loaded)
        changes = {p: v for p, v in wanted.items() if p in self._flat and p != "scene"}
        ignored = sorted(set(wanted) - set(self._flat) - {"scene"})
        if ignored:
            log.info("%s: ignoring parameters this stage lacks: %s", what, ", ".join(ignored))
        if loaded.scene is not None:
            try:
                changes["scene"] = self._scene_path(loaded.scene)
            except ChangeError as exc:
                if problems is None:
                    raise
                problems.append(f"{what}: {exc}")
        try:
            new = apply_changes(self.state, changes)
            return check_color_change(self.config, self.state, new,
                                      {p for p, v in changes.items() if self._flat.get(p, _MISSING) != v})
        except (ValueError, OcioError) as exc:
            raise ChangeError(str(exc), "invalid") from None

    def _applied(self, checked: dict[str, Any]) -> LiveState:
        try:
            return apply_changes(self.state, checked)
        except ValueError as exc:
            raise ChangeError(str(exc), "invalid") from None

    def _commit(self, new: LiveState, source: str, push_undo: bool = True, force: bool = False) -> dict[str, Any]:
        """Make ``new`` current; returns (and notifies, and queues for the next delta) what actually changed.
        ``force``: make it current even when no remaining parameter changed (parameters were removed)."""
        new_flat = flatten(new)
        changes = {p: v for p, v in new_flat.items() if self._flat.get(p, _MISSING) != v}
        if not changes:
            if force:
                self.state, self._flat = new, new_flat
                self.rev += 1
                self._notify({}, source)
            return {}
        if push_undo:
            self._undo.append(self.state)
        if audit.isEnabledFor(logging.INFO):  # the audit trail of the shoot: one line per applied change
            for path, value in changes.items():
                audit.info("%s: %s %s → %s", source, path, _shown(self._flat.get(path, _MISSING)), _shown(value))
        self.state, self._flat = new, new_flat
        if not self._pending:
            self._pending_base = self.rev
        self.rev += 1
        self._pending.update(changes)
        self._notify(changes, source)
        return changes

    def _notify(self, changes: dict[str, Any], source: str) -> None:
        for fn in self._listeners:
            try:
                fn(changes, source)
            except Exception:  # a listener must never undo an applied change
                log.exception("state listener %r failed", fn)


_MISSING = object()


def _shown(value: Any) -> str:
    """A value as the audit line shows it (JSON-like; ``-`` for a parameter that did not exist)."""
    if value is _MISSING:
        return "-"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return str(value)
