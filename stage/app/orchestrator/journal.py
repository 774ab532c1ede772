"""The live-state journal: what the show looks like now (every live parameter, the scene, light cards), the undo
history and the revision, kept on disk beside the presets so that a ``stage up`` after a crash — or after any stop —
comes back as it was (``stage up --fresh`` starts from the config instead).

File: ``<presets_dir>/.live-state.json`` (hidden, so never listed as a preset), one JSON object::

    {"v": 1, "config": "/abs/stage.yaml", "saved_at": 1767225600.25, "rev": 42,
     "state": {...LiveState...}, "undo": [{...LiveState...}, ...oldest first]}

Written atomically (:func:`stage.app.orchestrator.files.atomic_write`) by the disk worker, never on the loop's thread:
after a change the loop schedules one write (at most every :data:`MIN_INTERVAL_S`; later changes replace a write
that has not started), and once more on the way down. A crash loses at most the changes of the last
:data:`MIN_INTERVAL_S`. Encoding and decoding are pure functions of values and bytes.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from stage.app.orchestrator.disk import DiskWorker
from stage.app.orchestrator.files import atomic_write
from stage.core.files import json_object
from stage.core.live import LiveState

log = logging.getLogger(__name__)

JOURNAL_NAME = ".live-state.json"
JOURNAL_VERSION = 1
MIN_INTERVAL_S = 0.2
"""At most one journal write per this interval (a fader drag is many changes, one write)."""
MAX_JOURNAL_BYTES = 64 * 1024 * 1024
"""A larger journal is refused unread (256 undo states of a big stage are a few MB)."""


class JournalError(ValueError):
    """A journal that cannot be read; one line."""


@dataclass(frozen=True)
class Journal:
    """A decoded journal: JSON documents of :class:`LiveState` (checked against the running stage by the store)."""

    rev: int
    state: dict[str, Any]
    undo: list[dict[str, Any]] = field(default_factory=list)
    saved_at: float = 0.0
    config: str = ""


def encode_journal(journal: Journal) -> bytes:
    """The journal file's bytes. Pure."""
    return orjson.dumps({"v": JOURNAL_VERSION, "config": journal.config, "saved_at": journal.saved_at,
                         "rev": journal.rev, "state": journal.state, "undo": journal.undo})


def decode_journal(data: bytes) -> Journal:
    """A :class:`Journal` from the file's bytes; raises :class:`JournalError`. Pure."""
    try:
        doc = json_object(data, MAX_JOURNAL_BYTES)
    except ValueError as exc:
        raise JournalError(str(exc)) from None
    if doc.get("v") != JOURNAL_VERSION:
        raise JournalError(f"not a version {JOURNAL_VERSION} journal")
    rev, state, undo = doc.get("rev"), doc.get("state"), doc.get("undo", [])
    if not isinstance(rev, int) or isinstance(rev, bool) or rev < 0:
        raise JournalError("rev: expected a non-negative integer")
    if not isinstance(state, dict):
        raise JournalError("state: expected an object")
    if not isinstance(undo, list) or not all(isinstance(u, dict) for u in undo):
        raise JournalError("undo: expected a list of objects")
    saved_at = doc.get("saved_at", 0.0)
    return Journal(rev, state, undo, float(saved_at) if isinstance(saved_at, int | float) else 0.0,
                   str(doc.get("config", "")))


class _Dumper:
    """``LiveState`` → JSON document, each state object dumped once (undo entries never change). Used only on the
    disk worker's thread."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[LiveState, dict[str, Any]]] = {}

    def snapshot(self, state: LiveState, undo: Sequence[LiveState], rev: int, config: str) -> Journal:
        fresh: dict[int, tuple[LiveState, dict[str, Any]]] = {}
        docs = []
        for item in (*undo, state):
            hit = self._cache.get(id(item))
            if hit is None or hit[0] is not item:
                hit = (item, item.model_dump(mode="json"))
            fresh[id(item)] = hit
            docs.append(hit[1])
        self._cache = fresh
        return Journal(rev, docs[-1], docs[:-1], time.time(), config)


Snapshot = Callable[[], tuple[LiveState, Sequence[LiveState], int]]
"""``() -> (state, undo history oldest first, rev)``, called on the loop's thread when a write is due."""


class JournalKeeper:
    """Schedules journal writes on a :class:`DiskWorker` and reads the journal back at start."""

    def __init__(self, directory: Path, worker: DiskWorker, config: Path, min_interval_s: float = MIN_INTERVAL_S):
        self.path = Path(directory) / JOURNAL_NAME
        self.worker = worker
        self.config = str(os.path.abspath(config))
        self.min_interval_s = min_interval_s
        self.dirty = False
        self._next_write = 0.0
        self._dumper = _Dumper()
        self.counters = {"writes": 0, "write_errors": 0}
        self.last_error: str | None = None
        self.restored: dict[str, Any] | None = None
        """What :meth:`load` restored from (``saved_at``, ``rev``), for ``stage status``."""

    def changed(self) -> None:
        """Note a change of the live state (a store listener); the next :meth:`tick` schedules a write."""
        self.dirty = True

    def tick(self, now: float, snapshot: Snapshot) -> bool:
        """Schedule a write when something changed and the interval has passed; True when one was queued."""
        if not self.dirty or now < self._next_write:
            return False
        if not self.worker.submit(self._job(*snapshot()), self._done, key="journal"):
            return False  # busy: try again next iteration
        self.dirty = False
        self._next_write = now + self.min_interval_s
        return True

    def write_final(self, snapshot: Snapshot, timeout_s: float = 10.0) -> bool:
        """Write now and wait for it (the way down); False when it did not finish in time."""
        job = self._job(*snapshot())
        if not self.worker.submit(job, self._done, key="journal"):  # full of preset saves: let them finish first
            self.worker.flush(timeout_s)
            self.worker.submit(job, self._done, key="journal")
        self.dirty = False
        return self.worker.flush(timeout_s)

    def _job(self, state: LiveState, undo: Sequence[LiveState], rev: int) -> Callable[[], Path]:
        undo = tuple(undo)

        def write() -> Path:
            return atomic_write(self.path, encode_journal(self._dumper.snapshot(state, undo, rev, self.config)))

        return write

    def _done(self, _result: object, error: BaseException | None) -> None:
        if error is None:
            self.counters["writes"] += 1
            return
        self.counters["write_errors"] += 1
        text = f"journal {self.path}: cannot write: {getattr(error, 'strerror', None) or error}"
        if text != self.last_error:
            log.warning("%s", text)
        self.last_error = text

    def load(self) -> Journal | None:
        """The journal on disk, or None (none yet, or unreadable: logged and moved aside as ``.corrupt``)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("journal %s: cannot read (%s): starting from the config", self.path, exc.strerror)
            return None
        try:
            return decode_journal(data)
        except JournalError as exc:
            aside = self.path.with_name(self.path.name + ".corrupt")
            log.warning("journal %s: %s: starting from the config (kept as %s)", self.path, exc, aside.name)
            try:
                os.replace(self.path, aside)
            except OSError:
                pass
            return None
