"""The watchdog: a child that stops reporting is hung, and a hung child is restarted.

Render nodes publish render stats and the tracking daemon publishes daemon stats once a second
(``STATS_INTERVAL_S`` of each). A process can be alive and still useless — SIGSTOPped, stuck in a driver call, in a
deadlock — and the supervisor, which only sees exits, would never notice: the wall freezes silently. The watchdog
compares the time of each child's newest report with the clock: a child that sent nothing for
``control.watchdog_s`` seconds (after a start-up grace of ``control.watchdog_startup_s``, for GL set-up and scene
loading) is *hung*; the orchestrator then SIGKILLs its process group (SIGKILL also ends a stopped process) and the
supervisor restarts it like any crashed child. ``stage status`` shows each child's report age and hang count.
Pure: the clock and the report times are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WatchdogPolicy:
    """When a child counts as hung (``timeout_s`` 0 turns the watchdog off)."""

    timeout_s: float = 10.0
    """No report for this long: hung."""
    startup_s: float = 60.0
    """A (re)started child has this long to send its first report."""


def hung_for(policy: WatchdogPolicy, now: float, started_at: float, last_report: float | None) -> float | None:
    """Seconds a child started at ``started_at`` (monotonic) has been past its deadline, or None when it is fine.
    Reports from before the current start don't count."""
    if policy.timeout_s <= 0:
        return None
    if last_report is None or last_report < started_at:
        deadline = started_at + max(policy.startup_s, policy.timeout_s)
    else:
        deadline = last_report + policy.timeout_s
    return now - deadline if now > deadline else None
