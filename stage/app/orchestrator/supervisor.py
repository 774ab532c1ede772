"""Supervised child processes: spawn, log, restart with backoff, stop — and never leave orphans.

Each child is started with ``start_new_session=True`` (its own process group, so a Ctrl-C on the terminal reaches
only the orchestrator, which then stops the children in order) and with stdout and stderr appended to
``<log_dir>/<name>.log``. That file is rotated by size when the child (re)starts (``.1`` … ``.3`` kept), and every
start writes a header line with the time, pid and restart count, so one file tells the story of a process.

Restart policy (:class:`RestartPolicy`): a child that exits on its own is restarted; the first restart is
immediate (the next supervision tick, at most ~0.1 s later), repeated crashes back off 0.5, 1, 2, 4, 8, 10 s
(capped); a child that has run for 30 s is healthy again and its next crash restarts at once.

Orphans: on Linux every child runs ``prctl(PR_SET_PDEATHSIG, SIGTERM)`` before ``exec`` (a ``preexec_fn``), so the
kernel sends it SIGTERM the moment the orchestrator dies — even by SIGKILL. The parent pid is checked after the
call, closing the race where the orchestrator died before the child set it. Elsewhere (no ``prctl``) only the
orderly stop in :meth:`Supervisor.stop_all` applies.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from stage.app.orchestrator.exit_reason import read_reason

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
LOG_ROTATE_BYTES = 10 * 1024 * 1024
"""A child's log is rotated at (re)start once it is larger than this; ``LOG_KEEP`` old ones are kept."""
LOG_KEEP = 3
STOP_TIMEOUT_S = 5.0
"""SIGTERM, then SIGKILL after this long."""


class SupervisorError(RuntimeError):
    """A child could not be started (executable missing, log directory not writable)."""


@dataclass(frozen=True)
class RestartPolicy:
    """Delay before restarting a child that exited on its own."""

    first_delay_s: float = 0.0
    """Delay before the first restart after a healthy run."""
    backoff_start_s: float = 0.5
    """Delay of the second consecutive restart; doubles with every further crash."""
    backoff_max_s: float = 10.0
    """Cap of the backoff."""
    healthy_after_s: float = 30.0
    """A child that ran this long before crashing counts as healthy: the backoff starts over."""

    def delay(self, consecutive: int) -> float:
        """Delay before restart number ``consecutive`` (1 = first crash after a healthy run)."""
        if consecutive <= 1:
            return self.first_delay_s
        return min(self.backoff_max_s, self.backoff_start_s * 2.0 ** (consecutive - 2))


@dataclass
class ChildSpec:
    """What to run: ``argv`` (the first item the executable), extra environment, working directory."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None


@dataclass
class Child:
    """A supervised process and its history."""

    spec: ChildSpec
    popen: subprocess.Popen | None = None
    started_at: float = 0.0
    """Monotonic start time of the current process."""
    restarts: int = 0
    """Restarts after exits (deliberate restarts by reload are counted in ``reloads``)."""
    reloads: int = 0
    consecutive: int = 0
    """Crashes since the last healthy run (drives the backoff)."""
    last_exit: int | None = None
    """Return code of the last exit (negative: killed by that signal)."""
    last_reason: str | None = None
    """Why it last exited on its own: the last error line of its log for that run (:mod:`.exit_reason`)."""
    log_offset: int = 0
    """Size of its log when the current run started (where this run's output begins)."""
    restart_at: float | None = None
    """Monotonic time the pending restart is due; ``None`` when running or stopped."""
    hangs: int = 0
    """Times the watchdog found it hung and killed it (:mod:`stage.app.orchestrator.watchdog`)."""
    stop_deadline: float | None = None
    """While a deliberate stop is under way (SIGTERM sent): monotonic time of the SIGKILL; ``None`` otherwise."""
    after_stop: str | None = None
    """What :meth:`Supervisor.tick` does once the stopped process is gone: ``restart`` or ``forget``."""

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen is not None and self.popen.poll() is None else None

    def status(self, now: float) -> dict:
        """A JSON-ready summary for ``stage status``."""
        running = self.pid is not None
        state = ("stopping" if self.stop_deadline is not None else "running" if running
                 else "restarting" if self.restart_at is not None else "stopped")
        return {"pid": self.pid, "state": state, "uptime_s": round(now - self.started_at, 3) if running else 0.0,
                "restarts": self.restarts, "reloads": self.reloads, "hangs": self.hangs, "last_exit": self.last_exit,
                "last_exit_reason": self.last_reason,
                "restart_in_s": round(max(0.0, self.restart_at - now), 3) if self.restart_at is not None else None}


def _pdeathsig_preexec() -> Callable[[], None] | None:
    """A ``preexec_fn`` that asks the kernel for SIGTERM when this process dies, and exits at once if it already
    has; ``None`` where ``prctl`` does not exist. libc is resolved here, in the parent: nothing but the call itself
    runs between ``fork`` and ``exec``."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


def rotate_log(path: Path, max_bytes: int = LOG_ROTATE_BYTES, keep: int = LOG_KEEP) -> None:
    """``name.log`` → ``name.log.1`` → … when it is larger than ``max_bytes``; the oldest is dropped."""
    try:
        if path.stat().st_size <= max_bytes:
            return
    except FileNotFoundError:
        return
    for i in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{i}")
        if older.exists():
            os.replace(older, path.with_name(f"{path.name}.{i + 1}"))
    os.replace(path, path.with_name(f"{path.name}.1"))


class Supervisor:
    """Starts, watches, restarts and stops children. Single-threaded: call :meth:`tick` from the main loop."""

    def __init__(self, log_dir: Path, policy: RestartPolicy | None = None, stop_timeout_s: float = STOP_TIMEOUT_S,
                 refresh: Callable[[str], ChildSpec | None] | None = None,
                 on_event: Callable[[str], None] | None = None):
        """``refresh(name)``, when given, is asked for a fresh spec before every (re)start (a restarted render
        node starts with the current scene; ``None`` keeps the spec); ``on_event(text)`` hears every exit."""
        self.on_event = on_event
        self.log_dir = Path(log_dir)
        self.refresh = refresh
        self.policy = policy or RestartPolicy()
        self.stop_timeout_s = stop_timeout_s
        self.children: dict[str, Child] = {}
        self._leaving: list[Child] = []
        """Removed children whose process is still being stopped."""
        self.events: list[str] = []
        """Exit and restart events, newest last (the orchestrator shows the recent ones)."""
        self.stopping = False

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def add(self, spec: ChildSpec) -> Child:
        """Supervise and start a new child (a start that fails is retried by :meth:`tick` after the backoff)."""
        child = self.children[spec.name] = Child(spec)
        try:
            self._spawn(child)
        except SupervisorError:
            child.restart_at = time.monotonic() + self.policy.backoff_max_s
            raise
        return child

    def check_startable(self, name: str, spec: ChildSpec | None = None) -> None:
        """Raise :class:`SupervisorError` when child ``name`` could not be started now (log not writable,
        executable or working directory missing), without starting or stopping anything. ``spec`` defaults to the
        fresh spec from ``refresh``, else the child's own."""
        if spec is None:
            spec = self.refresh(name) if self.refresh is not None else None
        if spec is None and name in self.children:
            spec = self.children[name].spec
        path = self.log_path(name)
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            with open(path, "ab"):
                pass
        except OSError as exc:
            raise SupervisorError(f"{name}: cannot open log {path}: {exc.strerror or exc}") from None
        if spec is None or not spec.argv:
            return
        exe = spec.argv[0]
        if shutil.which(exe) is None:
            raise SupervisorError(f"{name}: cannot start {exe}: not an executable file")
        if spec.cwd is not None and not Path(spec.cwd).is_dir():
            raise SupervisorError(f"{name}: cannot start in {spec.cwd}: no such directory")

    def _spawn(self, child: Child) -> None:
        fresh = self.refresh(child.spec.name) if self.refresh is not None else None
        if fresh is not None:
            child.spec = fresh
        spec = child.spec
        path = self.log_path(spec.name)
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            rotate_log(path)
            logf = open(path, "ab")  # noqa: SIM115 - handed to the child, closed right after the fork
        except OSError as exc:
            raise SupervisorError(f"{spec.name}: cannot open log {path}: {exc.strerror or exc}") from None
        with logf:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            logf.write(f"=== {stamp} starting {spec.name} (restart {child.restarts}): {' '.join(spec.argv)}\n".encode())
            logf.flush()
            child.log_offset = logf.tell()
            try:
                child.popen = subprocess.Popen(
                    spec.argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                    cwd=spec.cwd, env={**os.environ, "PYTHONUNBUFFERED": "1", **spec.env},
                    start_new_session=True, preexec_fn=_pdeathsig_preexec(), close_fds=True,
                )
            except OSError as exc:
                raise SupervisorError(f"{spec.name}: cannot start {spec.argv[0]}: {exc.strerror or exc}") from None
        child.started_at = time.monotonic()
        child.restart_at = None
        log.info("started %s (pid %d), log %s", spec.name, child.popen.pid, path)

    def tick(self, now: float | None = None) -> list[str]:
        """Reap exited children, schedule and perform due restarts. Returns the names restarted now."""
        now = time.monotonic() if now is None else now
        restarted = []
        for child in [*self.children.values(), *self._leaving]:
            if child.stop_deadline is not None and self._stop_progress(child, now):
                restarted.append(child.spec.name)
        self._leaving = [c for c in self._leaving if c.stop_deadline is not None]
        for child in self.children.values():
            if child.stop_deadline is not None:
                continue
            if child.popen is not None and child.restart_at is None:
                code = child.popen.poll()
                if code is not None:
                    self._exited(child, code, now)
            if child.restart_at is not None and now >= child.restart_at and not self.stopping:
                child.restarts += 1
                try:
                    self._spawn(child)
                except SupervisorError as exc:
                    self._event(f"{child.spec.name}: {exc}")
                    child.restart_at = now + self.policy.backoff_max_s
                    continue
                restarted.append(child.spec.name)
        return restarted

    def _exited(self, child: Child, code: int, now: float) -> None:
        ran_s = now - child.started_at
        child.last_exit = code
        child.consecutive = 1 if ran_s >= self.policy.healthy_after_s else child.consecutive + 1
        delay = self.policy.delay(child.consecutive)
        child.restart_at = now + delay
        how = f"signal {signal.Signals(-code).name}" if code < 0 and -code in signal.valid_signals() else f"code {code}"
        child.last_reason = read_reason(self.log_path(child.spec.name), child.log_offset)
        why = f": {child.last_reason}" if child.last_reason else ""
        self._event(f"{child.spec.name} (pid {child.popen.pid}) exited with {how} after {ran_s:.1f} s{why}; "
                    f"restart in {delay:.1f} s")

    def _event(self, text: str) -> None:
        log.warning("%s", text)
        self.events.append(text)
        del self.events[:-50]
        if self.on_event is not None:
            self.on_event(text)

    def signal(self, name: str, sig: int) -> bool:
        """Send ``sig`` to child ``name`` (its process group); False when it is not running."""
        child = self.children.get(name)
        if child is None or child.pid is None:
            return False
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            return False
        return True

    def kill_hung(self, name: str, why: str) -> bool:
        """SIGKILL child ``name``'s process group (a stopped process too) because it is hung; the next
        :meth:`tick` reaps it and restarts it like any crashed child. False when it is not running."""
        child = self.children.get(name)
        if child is None or child.pid is None or child.stop_deadline is not None:
            return False  # not running, or a deliberate stop (SIGKILL at its deadline) is already under way
        child.hangs += 1
        self._event(f"{name} (pid {child.pid}) {why}: hung, killed to restart it")
        _killpg(child.popen.pid, signal.SIGKILL)
        return True

    def pids(self) -> dict[str, int]:
        """Running children: name → pid."""
        return {name: c.pid for name, c in self.children.items() if c.pid is not None}

    def restart(self, specs: dict[str, ChildSpec | None]) -> None:
        """Deliberate restarts (after a config reload), optionally with new specs; not counted as crashes.

        Does not block: each child gets SIGTERM now, and :meth:`tick` starts its replacement as soon as it has
        exited (SIGKILL after ``stop_timeout_s``), so the caller's loop keeps serving meanwhile."""
        now = time.monotonic()
        for name, spec in specs.items():
            child = self.children[name]
            if spec is not None:
                child.spec = spec
            child.reloads += 1
            child.consecutive = 0
            self._begin_stop(child, "restart", now)
        self.tick(now)  # children that were not running restart at once

    def remove(self, name: str) -> None:
        """Stop child ``name`` (SIGTERM now, SIGKILL from :meth:`tick` after the timeout; does not block) and forget
        it."""
        child = self.children.pop(name)
        self._begin_stop(child, "forget", time.monotonic())
        self._leaving.append(child)

    def _begin_stop(self, child: Child, then: str, now: float) -> None:
        child.restart_at = None
        child.after_stop = then
        child.stop_deadline = now + self.stop_timeout_s
        if child.popen is not None and child.popen.poll() is None:
            _killpg(child.popen.pid, signal.SIGTERM)

    def _stop_progress(self, child: Child, now: float) -> bool:
        """Advance a deliberate stop; True when the child was restarted now."""
        if child.popen is not None and child.popen.poll() is None:
            if now < child.stop_deadline:
                return False
            log.warning("%s (pid %d) ignored SIGTERM for %.0f s: SIGKILL", child.spec.name, child.popen.pid,
                        self.stop_timeout_s)
            _killpg(child.popen.pid, signal.SIGKILL)
            child.popen.wait()
        if child.popen is not None:
            child.last_exit = child.popen.returncode
            _killpg(child.popen.pid, signal.SIGKILL)  # anything left in its process group
        child.stop_deadline = None
        if child.after_stop != "restart" or self.stopping:
            return False
        try:
            self._spawn(child)
        except SupervisorError as exc:
            self._event(f"{child.spec.name}: {exc}")
            child.restart_at = now + self.policy.backoff_max_s
            return False
        return True

    def stop_all(self) -> dict[str, int | None]:
        """Stop every child (SIGTERM, SIGKILL after the timeout), all at once; no restarts after this."""
        self.stopping = True
        self._stop([*self.children.values(), *self._leaving])
        self._leaving = []
        return {name: c.last_exit for name, c in self.children.items()}

    def _stop(self, children: list[Child]) -> None:
        """Stop ``children`` and wait for them (SIGKILL after the timeout): for shutdown only, it blocks."""
        live = []
        for child in children:
            child.restart_at = None
            child.stop_deadline = None
            if child.popen is None:
                continue
            if child.popen.poll() is None:
                _killpg(child.popen.pid, signal.SIGTERM)
                live.append(child)
            else:
                child.last_exit = child.popen.returncode
        deadline = time.monotonic() + self.stop_timeout_s
        for child in live:
            try:
                child.last_exit = child.popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s (pid %d) ignored SIGTERM for %.0f s: SIGKILL", child.spec.name, child.popen.pid,
                            self.stop_timeout_s)
                _killpg(child.popen.pid, signal.SIGKILL)
                child.last_exit = child.popen.wait()
        for child in children:
            if child.popen is not None:
                _killpg(child.popen.pid, signal.SIGKILL)  # anything left in its process group

    def status(self, now: float | None = None) -> dict[str, dict]:
        now = time.monotonic() if now is None else now
        return {name: c.status(now) for name, c in self.children.items()}


def _killpg(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
