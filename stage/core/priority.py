"""Scheduling priority of the cluster's processes (``cluster.priority``, ``nodes[].priority``; docs/cluster.md).

Professional cluster tools let the operator raise a render node's priority (the "priority modifier" of nDisplay
nodes in Unreal's Switchboard) because the swap barrier is a chain of wake-ups: node → leader → every node. A
process that has to wait for a core at each hop adds the scheduler's latency to every frame.

* ``normal``: left as it is;
* ``high``: nice :data:`HIGH_NICE`;
* ``realtime``: ``SCHED_FIFO`` at :data:`FIFO_PRIORITY` (the frame clock one above the nodes, so its release
  decision is never queued behind a node); needs root or ``CAP_SYS_NICE``.

Linux schedules threads, not processes: the setting is applied to every thread the process has (ZeroMQ's I/O thread
carries every message) and inherited by threads started later, so apply it early. Where it is not permitted, one
warning line and the process carries on at its priority.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

NORMAL, HIGH, REALTIME = "normal", "high", "realtime"
PRIORITIES = (NORMAL, HIGH, REALTIME)
HIGH_NICE = -10
FIFO_PRIORITY = 10
"""``SCHED_FIFO`` priority of render nodes (1–99; the kernel's own threads run at 50)."""
CLOCK_BOOST = 1
"""The frame clock runs this much above the nodes."""


def _threads() -> list[int]:
    try:
        return [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        return [0]


def apply_priority(priority: str, who: str, boost: int = 0) -> str:
    """Give this process (every thread of it) ``priority``; returns the priority it has afterwards (``normal`` when
    not permitted, after one warning line naming ``who``)."""
    if priority not in PRIORITIES:
        raise ValueError(f"priority {priority!r}: must be one of {', '.join(PRIORITIES)}")
    if priority == NORMAL:
        return NORMAL
    try:
        for tid in _threads():
            if priority == HIGH:
                os.setpriority(os.PRIO_PROCESS, tid, HIGH_NICE)
            else:
                os.sched_setscheduler(tid, os.SCHED_FIFO, os.sched_param(FIFO_PRIORITY + boost))
    except (PermissionError, OSError) as exc:
        log.warning("%s: cannot set %s priority (%s): running at normal priority", who, priority,
                    exc.strerror or exc)
        return NORMAL
    return priority


def reset_priority() -> None:
    """Back to ``SCHED_OTHER`` at nice 0 (every thread); for a benchmark that measures both."""
    for tid in _threads():
        try:
            os.sched_setscheduler(tid, os.SCHED_OTHER, os.sched_param(0))
            os.setpriority(os.PRIO_PROCESS, tid, 0)
        except OSError:
            pass


def process_priority(pid: int) -> tuple[str, int]:
    """``(policy, nice)`` of process ``pid`` as the kernel reports it: policy ``other``, ``fifo``, ``rr``, ``batch``
    or ``idle``."""
    names = {os.SCHED_OTHER: "other", os.SCHED_FIFO: "fifo", os.SCHED_RR: "rr", os.SCHED_BATCH: "batch",
             os.SCHED_IDLE: "idle"}
    policy = os.sched_getscheduler(pid)
    stat = Path(f"/proc/{pid}/stat").read_text()
    nice = int(stat[stat.rindex(")") + 2:].split()[16])
    return names.get(policy, str(policy)), nice
