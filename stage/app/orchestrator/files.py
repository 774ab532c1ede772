"""Crash-safe files: atomic replace (temporary file + fsync + rename + directory fsync) and the clean-up of what a
killed writer leaves behind (hidden ``.*.tmp`` files)."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

TEMP_SUFFIX = ".tmp"


def atomic_write(target: Path, data: bytes) -> Path:
    """Replace ``target`` with ``data`` so that a crash at any moment leaves the old or the new file, never half of
    one: a hidden temporary file in the same directory is written, fsynced and renamed over ``target``, then the
    directory is fsynced. Creates the directory. Raises ``OSError`` (the temporary file is removed)."""
    directory = target.parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=TEMP_SUFFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(directory)
    return target


def fsync_dir(directory: Path) -> None:
    """Make a rename durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_temp_files(directory: Path) -> list[Path]:
    """Delete the hidden ``.*.tmp`` files a killed writer left in ``directory``; returns what was removed. Call it
    only while holding the directory's run lock (:mod:`stage.app.orchestrator.runlock`): nobody else writes there."""
    removed = []
    try:
        leftovers = [p for p in directory.iterdir() if p.name.startswith(".") and p.name.endswith(TEMP_SUFFIX)]
    except OSError:
        return removed
    for path in leftovers:
        try:
            path.unlink()
        except OSError as exc:
            log.warning("cannot remove leftover %s: %s", path, exc.strerror)
            continue
        removed.append(path)
    if removed:
        log.info("removed %d leftover temporary file(s) in %s", len(removed), directory)
    return removed
