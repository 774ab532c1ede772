"""One orchestrator per state folder, and nothing left over from one that was killed.

:class:`RunLock` takes an exclusive ``flock`` on ``<presets_dir>/.stage-up.lock`` for the life of ``stage up``
(the kernel drops it when the process dies, even by SIGKILL), so two shows never write one journal. Holding it,
the orchestrator may clean up after its predecessor:

* **orphans** — every child's pid and kernel start time are recorded in ``<presets_dir>/.children.json``
  (:meth:`RunLock.record_children`). A child of a SIGKILLed orchestrator gets SIGTERM from the kernel
  (``PR_SET_PDEATHSIG``) but a *stopped* (SIGSTOPped, hung) one never acts on it and keeps its ports;
  :meth:`RunLock.sweep_orphans` SIGKILLs the process group of each recorded child that is still the same process
  (same pid *and* start time, so a recycled pid is never touched) and waits until it is gone;
* **temporary files** (``.*.tmp``) in the folder, and the ``.<stem>.running-<pid>.yaml`` config copies of
  orchestrators that are no longer alive (:func:`remove_stale_running_copies`).
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import time
from pathlib import Path

import orjson

log = logging.getLogger(__name__)

LOCK_NAME = ".stage-up.lock"
CHILDREN_NAME = ".children.json"
SWEEP_WAIT_S = 5.0


class LockedError(RuntimeError):
    """Another ``stage up`` holds the folder; one line."""


def start_time(pid: int) -> int | None:
    """The kernel start time of ``pid`` (clock ticks since boot, ``/proc/<pid>/stat`` field 22), or None when no
    such process exists or is a zombie (or there is no ``/proc``)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError, OSError):
        return None
    if fields[0] == b"Z":
        return None
    return int(fields[19])


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunLock:
    """The exclusive lock of a state folder plus the record of the children started under it."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.lock_path = self.directory / LOCK_NAME
        self.children_path = self.directory / CHILDREN_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`LockedError` naming the holder; ``OSError`` when the folder cannot be
        created."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise LockedError(f"another `stage up` (pid {holder}) uses {self.directory} "
                              "(stop it, or give this one --presets DIR)") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def record_children(self, pids: dict[str, int]) -> None:
        """Remember the running children (name → pid) with their start times. Small and not fsynced: after a
        machine crash there are no orphans to find."""
        doc = {"orchestrator": os.getpid(),
               "children": {name: [pid, start_time(pid)] for name, pid in pids.items()}}
        tmp = self.children_path.with_name(f".children.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(orjson.dumps(doc))
            os.replace(tmp, self.children_path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            log.warning("cannot record child pids in %s: %s", self.children_path, exc.strerror)

    def clear_children(self) -> None:
        """Every child is stopped: nothing to sweep next time."""
        self.children_path.unlink(missing_ok=True)

    def sweep_orphans(self, wait_s: float = SWEEP_WAIT_S) -> list[str]:
        """SIGKILL the children a killed predecessor left running (see the module docstring); returns
        ``name (pid N)`` of each one killed."""
        try:
            doc = orjson.loads(self.children_path.read_bytes())
            recorded = doc["children"].items()
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            return []
        killed: list[tuple[str, int]] = []
        for name, entry in recorded:
            try:
                pid, started = int(entry[0]), entry[1]
            except (TypeError, ValueError, IndexError):
                continue
            if pid <= 1 or pid == os.getpid() or started is None or start_time(pid) != started:
                continue
            _kill_group(pid)
            killed.append((name, pid))
            log.warning("killed %s (pid %d) left running by a stopped orchestrator", name, pid)
        deadline = time.monotonic() + wait_s
        while any(start_time(pid) is not None for _, pid in killed) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.children_path.unlink(missing_ok=True)
        return [f"{name} (pid {pid})" for name, pid in killed]


def _kill_group(pid: int) -> None:
    """SIGKILL process group ``pid`` (children are group leaders), or the process alone."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError):
            continue


def remove_stale_running_copies(config_file: Path) -> list[Path]:
    """Delete ``.<stem>.running-<pid>.yaml`` (and ``.tmp``) copies beside ``config_file`` whose orchestrator is gone."""
    removed = []
    pattern = f".{config_file.stem}.running-*"
    for path in config_file.parent.glob(pattern):
        pid_text = path.name[len(pattern) - 1:].split(".", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid() or pid_alive(int(pid_text)):
            continue
        try:
            path.unlink()
            removed.append(path)
        except OSError as exc:
            log.warning("cannot remove stale config copy %s: %s", path, exc.strerror)
    return removed
