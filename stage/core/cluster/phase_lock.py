"""Phase lock of the frame grid to the tracking: the software equivalent of genlocking tracking to video. Pure: no
sockets and no clock, the leader passes times in (integer nanoseconds of the Unix clock).

Without it frame ``N`` is due at ``N`` frame periods since the Unix epoch and the tracker samples with a phase of its
own, so the age of the newest pose at the latch is an accident of start-up (anywhere between 0 and one tracking
period). With it the leader estimates when poses arrive (:func:`estimate_phase`: from the publish times of the
last :data:`WINDOW` poses of one camera, robust to late outliers) and, only when the tracking rate is an integer
multiple or submultiple of the frame rate within :data:`RATE_TOLERANCE`, offsets its grid so the latch falls
``guard`` after the usual arrival. The offset moves at most :data:`SLEW_FRACTION` of a period per frame
(:class:`PhaseLock`), so consecutive frames stay between ``(1 − SLEW_FRACTION)`` and ``(1 + SLEW_FRACTION)``
periods apart: no frame is skipped or doubled, and frame numbers keep increasing.

Phases are measured modulo the *lock modulus*: the tracking period when the tracker is faster than the frame rate
(120 Hz tracking at 60 fps: every 8.33 ms), else the frame period (30 Hz tracking at 60 fps: every other latch
follows a pose; the others are one frame later, the best a 60 fps grid can do).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from stage.core.config.frame_rate import frame_period_ns

WINDOW = 240
"""Pose arrivals the estimate is made from (4 s of 60 Hz tracking)."""
MIN_SAMPLES = 60
"""Fewer arrivals than this: no estimate (unlocked)."""
RATE_TOLERANCE = 5e-4
"""The tracking period must be within this fraction of ``frame period · k`` or ``frame period / k`` (500 ppm: a
free-running tracker's crystal passes, 59.94 Hz tracking against 60 fps does not)."""
MAX_RATIO = 16
"""Largest multiple or submultiple of the frame rate that is locked to."""
ENVELOPE_PERCENTILE = 10.0
"""The early envelope of the arrivals (:func:`tracking_period`)."""
SPREAD_PERCENTILE = 95.0
"""The latch waits for this percentile of the arrival phases (later arrivals are outliers: a busy publisher)."""
SLEW_FRACTION = 0.01
"""The grid offset moves at most this fraction of a frame period per frame."""
DEADBAND_NS = 50_000
"""Offset errors below this are left alone (the latch lead moves by a few microseconds from frame to frame)."""
LOCKED_WITHIN_NS = 1_000_000
"""Locked: the offset is within this of its target."""
LEAD_RELAX_FRACTION = 0.005
"""The latch lead the target is made for follows a longer lead at once, a shorter one by at most this fraction of a
period per frame: the lead is a percentile over recent frames and jumps when a slow frame enters or leaves that
window; a target that jumped with it would keep the grid slewing and put the latch before the pose while it does."""
UPDATE_EVERY = 15
HOLD_TOLERANCE_FACTOR = 1.6
"""Once locked, the tracking period may be this many times :data:`RATE_TOLERANCE` off before the lock is lost (800
ppm: 59.94 Hz tracking, 1000 ppm off 60 fps, is still refused)."""
HOLD_UPDATES = 8
"""Failed estimates in a row (2 s at 60 fps) a lock survives on its last estimate."""
"""Frames between two estimates (the estimate is the slow part; the slew runs every frame)."""

LOCKED, SLEWING, UNLOCKED = "locked", "slewing", "unlocked"


@dataclass(frozen=True)
class PhaseEstimate:
    """When poses arrive, relative to the lock modulus."""

    tracking_period_ns: float
    """Measured interval between poses."""
    modulus_ns: Fraction
    """The lock modulus (exact): the frame period divided by ``k`` for a tracker ``k`` times faster, else the frame
    period."""
    phase_ns: float
    """Median arrival phase in ``[0, modulus)``: arrivals are at ``phase + j · modulus`` on the Unix clock."""
    spread_ns: float
    """:data:`SPREAD_PERCENTILE` of the arrival phases minus the median (how late a late arrival is)."""


def lock_modulus(tracking_period_ns: float, rate: Fraction, tolerance: float = RATE_TOLERANCE) -> Fraction | None:
    """The lock modulus for tracking every ``tracking_period_ns`` at frame rate ``rate``, or ``None`` when the two
    rates are not integer multiples of each other within ``tolerance``."""
    period = frame_period_ns(rate)
    if tracking_period_ns <= 0:
        return None
    ratio = float(period) / tracking_period_ns
    k = round(ratio)
    if 1 <= k <= MAX_RATIO and abs(tracking_period_ns * k / float(period) - 1.0) <= tolerance:
        return period / k
    k = round(1.0 / ratio)
    if 2 <= k <= MAX_RATIO and abs(tracking_period_ns / (float(period) * k) - 1.0) <= tolerance:
        return period
    return None


def tracking_period(arrivals_ns: np.ndarray) -> float | None:
    """The interval between poses from sorted arrival times. The median gap numbers every arrival (a missing pose
    leaves a gap of two); then the slope of the early envelope: a pose is never published early, only late (a busy
    daemon), so the :data:`ENVELOPE_PERCENTILE` of the residuals in each half of the window, compared between the
    halves, gives the rate to a few tens of ppm where a fit through every arrival would follow the late ones."""
    if len(arrivals_ns) < MIN_SAMPLES:
        return None
    t = (arrivals_ns - arrivals_ns[0]).astype(np.float64)
    gaps = np.diff(t)
    interval = float(np.median(gaps))
    if interval <= 0:
        return None
    index = np.concatenate(([0.0], np.cumsum(np.maximum(1.0, np.round(gaps / interval)))))
    half = len(t) // 2
    first, second = slice(0, half), slice(half, len(t))
    span = float(np.median(index[second]) - np.median(index[first]))
    for _ in range(3):  # the envelope of a tilted half sits off its middle: refine with the corrected interval
        residual = t - index * interval
        early = np.percentile(residual[second], ENVELOPE_PERCENTILE) - np.percentile(residual[first],
                                                                                     ENVELOPE_PERCENTILE)
        interval += early / span
    return interval


def arrival_phases(arrivals_ns: np.ndarray, modulus_ns: Fraction) -> np.ndarray:
    """Phase of every arrival as a fraction of the modulus, in ``[0, 1)``; exact integer arithmetic (Unix
    nanoseconds are too large for a float)."""
    num, den = modulus_ns.numerator, modulus_ns.denominator
    return np.array([((int(t) * den) % num) / num for t in arrivals_ns], dtype=np.float64)


def _wrap(x: np.ndarray | float) -> np.ndarray | float:
    """Into ``[-0.5, 0.5)``."""
    return (x + 0.5) % 1.0 - 0.5


def estimate_phase(arrivals_ns: list[int] | np.ndarray, rate: Fraction,
                   tolerance: float = RATE_TOLERANCE) -> PhaseEstimate | None:
    """When poses arrive relative to the frame grid, from their arrival (publish) times; ``None`` when there are
    too few, or the tracking rate is not locked to the frame rate (:func:`lock_modulus`)."""
    arrivals = np.sort(np.asarray(arrivals_ns, dtype=np.int64))
    interval = tracking_period(arrivals)
    if interval is None:
        return None
    modulus = lock_modulus(interval, rate, tolerance)
    if modulus is None:
        return None
    phases = arrival_phases(arrivals, modulus)
    angle = np.angle(np.mean(np.exp(2j * np.pi * phases))) / (2 * np.pi)
    deviation = _wrap(phases - angle)
    median = float(np.median(deviation))
    spread = float(np.percentile(deviation, SPREAD_PERCENTILE)) - median
    phase = float((angle + median) % 1.0)
    return PhaseEstimate(interval, modulus, phase * float(modulus), max(0.0, spread) * float(modulus))


def target_offset_ns(estimate: PhaseEstimate, lead_ns: int, guard_ns: int, current_ns: float) -> float:
    """The grid offset that puts the latch (``lead_ns`` before a frame is due) ``guard_ns`` after the late end of
    the arrivals: of all offsets congruent modulo the lock modulus, the one nearest ``current_ns`` that is not
    negative (a restarted leader, starting at offset 0, then never repeats a frame number)."""
    modulus = float(estimate.modulus_ns)
    want = (estimate.phase_ns + estimate.spread_ns + guard_ns + lead_ns) % modulus
    step = _wrap((want - current_ns) / modulus) * modulus
    target = current_ns + step
    return target + modulus if target < 0 else target


def slew(current_ns: float, target_ns: float, period_ns: float) -> float:
    """One frame's move of the offset towards ``target_ns``: at most :data:`SLEW_FRACTION` of a period, none within
    :data:`DEADBAND_NS`."""
    error = target_ns - current_ns
    if abs(error) <= DEADBAND_NS:
        return current_ns
    limit = SLEW_FRACTION * period_ns
    return current_ns + max(-limit, min(limit, error))


def steady_lead(previous_ns: float | None, lead_ns: int, period_ns: float) -> float:
    """The lead to place the latch for: ``lead_ns`` when it is longer than before, else at most
    :data:`LEAD_RELAX_FRACTION` of a period shorter than before."""
    if previous_ns is None or lead_ns >= previous_ns:
        return float(lead_ns)
    return max(float(lead_ns), previous_ns - LEAD_RELAX_FRACTION * period_ns)


class PhaseLock:
    """The leader's grid offset: :meth:`arrived` takes pose publish times of the camera it locks to (the first
    camera by name that has poses), :meth:`advance` moves the offset once a frame."""

    def __init__(self, rate: Fraction, guard_ns: int, enabled: bool = True) -> None:
        self.rate = rate
        self.period_ns = float(frame_period_ns(rate))
        self.guard_ns = guard_ns
        self.enabled = enabled
        self.offset_ns = 0.0
        """Frame ``N`` is due ``offset_ns`` after ``N`` frame periods since the Unix epoch."""
        self.camera: str | None = None
        self.arrivals: dict[str, list[int]] = {}
        self.estimate: PhaseEstimate | None = None
        self.target_ns: float | None = None
        self.lead_ns: float | None = None
        """The latch lead the target is made for (:data:`LEAD_RELAX_FRACTION`)."""
        self._frames = 0
        self.misses = 0
        """Estimates in a row that failed while holding the last one."""

    def arrived(self, camera: str, t_pub_ns: int) -> None:
        if not self.enabled:
            return
        window = self.arrivals.setdefault(camera, [])
        window.append(t_pub_ns)
        if len(window) > WINDOW:
            del window[:len(window) - WINDOW]

    def advance(self, lead_ns: int) -> float:
        """Once a frame (after the release): re-estimate every :data:`UPDATE_EVERY` frames, slew; the offset."""
        if not self.enabled:
            return self.offset_ns
        if self._frames % UPDATE_EVERY == 0:
            self._update()
        self._frames += 1
        if self.estimate is None:
            self.target_ns = None
            return self.offset_ns
        self.lead_ns = steady_lead(self.lead_ns, lead_ns, self.period_ns)
        self.target_ns = target_offset_ns(self.estimate, round(self.lead_ns), self.guard_ns, self.offset_ns)
        self.offset_ns = slew(self.offset_ns, self.target_ns, self.period_ns)
        return self.offset_ns

    def _update(self) -> None:
        """A new estimate. Like a PLL: acquire within :data:`RATE_TOLERANCE`, hold within
        :data:`HOLD_TOLERANCE_FACTOR` times that, and through :data:`HOLD_UPDATES` failed estimates in a row (a
        daemon that was late for a while) keep the last one."""
        self.camera = min(self.arrivals, default=None)
        tolerance = RATE_TOLERANCE * (HOLD_TOLERANCE_FACTOR if self.estimate is not None else 1.0)
        estimate = estimate_phase(self.arrivals[self.camera], self.rate, tolerance) if self.camera else None
        if estimate is not None:
            self.estimate, self.misses = estimate, 0
            return
        self.misses += 1
        if self.camera is None or self.misses > HOLD_UPDATES:
            self.estimate = None

    @property
    def state(self) -> str:
        if self.target_ns is None:
            return UNLOCKED
        return LOCKED if abs(self.target_ns - self.offset_ns) <= LOCKED_WITHIN_NS else SLEWING

    def phase_ms(self) -> float | None:
        """The arrival phase of the locked camera within the lock modulus (ms), if estimated."""
        return None if self.estimate is None else self.estimate.phase_ns / 1e6
