"""Disk I/O off the orchestrator's loop: one worker thread writes presets and the live-state journal.

The loop :meth:`DiskWorker.submit` s a job (a function) and goes on; the worker runs jobs in order. A job submitted
under a ``key`` that is still waiting replaces the waiting one (the journal: only the newest state matters). At most
:data:`MAX_PENDING` jobs wait; beyond that :meth:`submit` refuses (the caller answers "busy"), so a flood of
``/stage/preset/save`` can neither queue unbounded work nor write hundreds of files a second. Results come back
through :meth:`completions`, which the loop calls every iteration: callbacks (replies to clients) run on the loop's
thread, never on the worker's.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MAX_PENDING = 8
"""Jobs that may wait at once."""

Done = Callable[[Any, BaseException | None], None]


@dataclass
class _Job:
    fn: Callable[[], Any]
    on_done: Done | None


class DiskWorker:
    """A daemon thread running submitted jobs in order; see the module docstring."""

    def __init__(self, name: str = "stage-disk", max_pending: int = MAX_PENDING):
        self.max_pending = max_pending
        self._jobs: OrderedDict[object, _Job] = OrderedDict()
        self._done: deque[tuple[Done, Any, BaseException | None]] = deque()
        self._cond = threading.Condition()
        self._busy = False
        self._closing = False
        self._serial = 0
        self.counters = {"jobs": 0, "failed": 0, "refused_busy": 0, "replaced": 0}
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[], Any], on_done: Done | None = None, key: object = None) -> bool:
        """Queue ``fn``; ``on_done(result, error)`` runs later from :meth:`completions`. False (nothing queued)
        when :data:`MAX_PENDING` jobs already wait or the worker is closed."""
        with self._cond:
            if self._closing:
                return False
            if key is not None and key in self._jobs:
                self._jobs[key] = _Job(fn, on_done)
                self.counters["replaced"] += 1
                return True
            if len(self._jobs) >= self.max_pending:
                self.counters["refused_busy"] += 1
                return False
            if key is None:
                self._serial += 1
                key = ("job", self._serial)
            self._jobs[key] = _Job(fn, on_done)
            self._cond.notify()
            return True

    def completions(self) -> int:
        """Run the callbacks of finished jobs (call from the loop's thread); returns how many ran."""
        ran = 0
        while self._done:
            on_done, result, error = self._done.popleft()
            try:
                on_done(result, error)
            except Exception:
                log.exception("disk job callback failed")
            ran += 1
        return ran

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every queued job has run; False when that took longer than ``timeout_s``."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._jobs and not self._busy, timeout_s)

    def close(self, timeout_s: float = 10.0) -> bool:
        """Finish the queued jobs, then stop the thread; False when it did not finish in ``timeout_s``."""
        done = self.flush(timeout_s)
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout_s if done else 0.1)
        self.completions()
        return done

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._jobs or self._closing)
                if not self._jobs:
                    return
                _, job = self._jobs.popitem(last=False)
                self._busy = True
            result, error = None, None
            try:
                result = job.fn()
            except Exception as exc:  # reported to the loop through on_done; the worker keeps going
                error = exc
                self.counters["failed"] += 1
                if job.on_done is None:
                    log.warning("disk job failed: %s: %s", type(exc).__name__, exc)
            self.counters["jobs"] += 1
            if job.on_done is not None:
                self._done.append((job.on_done, result, error))
            with self._cond:
                self._busy = False
                self._cond.notify_all()
