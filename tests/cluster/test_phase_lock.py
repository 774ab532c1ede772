"""The pure math of the frame grid's phase lock to the tracking (stage.core.cluster.phase_lock)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from stage.core.cluster.phase_lock import (
    DEADBAND_NS,
    LOCKED,
    SLEW_FRACTION,
    SLEWING,
    UNLOCKED,
    UPDATE_EVERY,
    WINDOW,
    PhaseLock,
    estimate_phase,
    lock_modulus,
    slew,
    target_offset_ns,
)
from stage.core.cluster.schedule import due_ns, next_frame
from stage.core.config.frame_rate import frame_period_ns

T0 = 1_790_000_000 * 10**9  # a Unix time in 2026, ns
RATE = Fraction(60)
PERIOD = float(frame_period_ns(RATE))


def arrivals(rate_hz: float, phase_ns: float, n: int = WINDOW, jitter_ns: float = 0.0, late_every: int = 0,
             seed: int = 1) -> list[int]:
    """Poses every 1/rate_hz from ``T0 + phase_ns``, with jitter and every ``late_every``-th one 3 ms late."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        t = T0 + phase_ns + i * 1e9 / rate_hz + rng.uniform(0, jitter_ns)
        if late_every and i % late_every == 0:
            t += 3e6
        out.append(round(t))
    return out


def phase_error_ns(measured: float, expected: float, modulus: float) -> float:
    return abs((measured - expected + modulus / 2) % modulus - modulus / 2)


def test_modulus_for_multiples_submultiples_and_other_rates() -> None:
    assert lock_modulus(PERIOD, RATE) == frame_period_ns(RATE)
    assert lock_modulus(PERIOD / 2, RATE) == frame_period_ns(RATE) / 2  # 120 Hz tracking: a pose every half frame
    assert lock_modulus(PERIOD * 2, RATE) == frame_period_ns(RATE)  # 30 Hz: every other latch follows a pose
    assert lock_modulus(PERIOD * 1.0001, RATE) == frame_period_ns(RATE)  # a crystal's 100 ppm
    assert lock_modulus(1e9 / 59.94, RATE) is None  # NTSC tracking against 60 fps drifts: leave the grid alone
    assert lock_modulus(1e9 / 50, RATE) is None
    assert lock_modulus(1e9 / 60, Fraction(24000, 1001)) is None


@pytest.mark.parametrize("rate_hz", [60.0, 120.0, 30.0])
def test_estimate_finds_the_arrival_phase_despite_jitter_and_late_outliers(rate_hz: float) -> None:
    phase = 5.3e6
    estimate = estimate_phase(arrivals(rate_hz, phase, jitter_ns=200_000, late_every=25), RATE)
    assert estimate is not None
    modulus = float(estimate.modulus_ns)
    expected = (T0 + phase) % modulus
    assert phase_error_ns(estimate.phase_ns, expected + 100_000, modulus) < 60_000  # median of the uniform jitter
    assert 50_000 < estimate.spread_ns < 400_000  # the 4 % outliers (3 ms late) are beyond the 95th percentile
    assert estimate.tracking_period_ns == pytest.approx(1e9 / rate_hz, rel=1e-4)


def test_no_estimate_from_too_few_poses_or_an_unlocked_rate() -> None:
    assert estimate_phase(arrivals(60.0, 0.0, n=10), RATE) is None
    assert estimate_phase(arrivals(59.94, 0.0), RATE) is None
    assert estimate_phase(arrivals(50.0, 0.0), RATE) is None


def test_missing_poses_do_not_confuse_the_rate() -> None:
    times = [t for i, t in enumerate(arrivals(60.0, 1e6, n=200)) if i % 7 != 3][:WINDOW]
    estimate = estimate_phase(times, RATE)
    assert estimate is not None and estimate.tracking_period_ns == pytest.approx(PERIOD, rel=1e-6)


def test_target_puts_the_latch_a_guard_after_the_arrivals_nearest_the_current_offset() -> None:
    estimate = estimate_phase(arrivals(60.0, 0.0), RATE)
    assert estimate is not None
    lead, guard = 3_000_000, 1_000_000
    target = target_offset_ns(estimate, lead, guard, current_ns=0.0)
    assert target >= 0.0
    latch_phase = (target - lead) % PERIOD  # due at N·period + target; latch lead before
    assert phase_error_ns(latch_phase, estimate.phase_ns + estimate.spread_ns + guard, PERIOD) < 1.0
    again = target_offset_ns(estimate, lead, guard, current_ns=target + 10 * PERIOD)
    assert again == pytest.approx(target + 10 * PERIOD)  # congruent: the nearest one, not a jump back
    # Never negative: a target just below zero is taken a modulus later.
    early = estimate_phase(arrivals(60.0, PERIOD - lead - guard - 200_000 - (T0 % PERIOD)), RATE)
    assert early is not None and target_offset_ns(early, lead, guard, 0.0) >= 0.0


def test_slew_is_limited_and_has_a_deadband() -> None:
    step = SLEW_FRACTION * PERIOD
    assert slew(0.0, 5e6, PERIOD) == pytest.approx(step)
    assert slew(5e6, 0.0, PERIOD) == pytest.approx(5e6 - step)
    assert slew(1e6, 1e6 + DEADBAND_NS / 2, PERIOD) == 1e6
    assert slew(1e6, 1e6 + step / 2, PERIOD) == pytest.approx(1e6 + step / 2)


def test_locking_never_skips_or_doubles_a_frame() -> None:
    """Run the grid with the lock on against 60 Hz poses: frames stay consecutive, each period within the slew limit
    of one frame period, the lock state goes unlocked → slewing → locked, and after it the latch is just after a
    pose."""
    lock = PhaseLock(RATE, guard_ns=1_000_000)
    lead = 2_000_000
    pose_phase = 9.1e6
    poses = iter(arrivals(60.0, pose_phase, n=5000))
    next_pose = next(poses)
    last, last_due, states = None, None, []
    now = T0
    for _ in range(600):
        offset = round(lock.offset_ns)
        number = next_frame(last, now, RATE, offset)
        due = due_ns(number, RATE, offset)
        while next_pose <= due - lead:
            lock.arrived("cam", next_pose)
            next_pose = next(poses)
        if last is not None:
            assert number == last + 1
            assert abs((due - last_due) - PERIOD) <= SLEW_FRACTION * PERIOD + 1
        last, last_due, now = number, due, due
        lock.advance(lead)
        states.append(lock.state)
    assert states[0] == UNLOCKED and SLEWING in states and states[-1] == LOCKED
    age_at_latch = (due - lead - (T0 + pose_phase)) % PERIOD
    assert 0.9e6 < age_at_latch < 1.2e6  # guard after the pose, not up to a frame


def test_off_leaves_the_grid_alone() -> None:
    lock = PhaseLock(RATE, guard_ns=1_000_000, enabled=False)
    for t in arrivals(60.0, 3e6):
        lock.arrived("cam", t)
    for _ in range(2 * UPDATE_EVERY):
        assert lock.advance(2_000_000) == 0.0
    assert lock.state == UNLOCKED


def test_the_rate_survives_late_publishing() -> None:
    """A busy daemon publishes late, never early: the early envelope keeps the rate within the tolerance where a fit
    through every arrival would not."""
    rng = np.random.default_rng(3)
    for _ in range(20):
        times = T0 + np.arange(WINDOW) * PERIOD + rng.exponential(300_000, WINDOW)
        estimate = estimate_phase(np.round(times).astype(np.int64), RATE)
        assert estimate is not None and estimate.tracking_period_ns == pytest.approx(PERIOD, rel=1e-4)


def test_the_lead_the_latch_is_placed_for_grows_at_once_and_relaxes_slowly() -> None:
    from stage.core.cluster.phase_lock import LEAD_RELAX_FRACTION, steady_lead

    assert steady_lead(None, 3_000_000, PERIOD) == 3_000_000
    assert steady_lead(3_000_000, 5_000_000, PERIOD) == 5_000_000
    assert steady_lead(5_000_000, 2_000_000, PERIOD) == pytest.approx(5_000_000 - LEAD_RELAX_FRACTION * PERIOD)
    assert steady_lead(2_000_010, 2_000_000, PERIOD) == 2_000_000


def test_a_lock_holds_through_a_few_bad_estimates_then_lets_go() -> None:
    from stage.core.cluster.phase_lock import HOLD_UPDATES

    lock = PhaseLock(RATE, guard_ns=1_000_000)
    for t in arrivals(60.0, 3e6):
        lock.arrived("cam", t)
    lock.advance(2_000_000)
    held = lock.estimate
    assert held is not None
    lock.arrivals["cam"] = arrivals(50.0, 3e6)  # a rate that cannot be locked to
    for _ in range(HOLD_UPDATES * UPDATE_EVERY):
        lock.advance(2_000_000)
        assert lock.estimate is held and lock.state != UNLOCKED
    for _ in range(UPDATE_EVERY):
        lock.advance(2_000_000)
    assert lock.estimate is None and lock.state == UNLOCKED
