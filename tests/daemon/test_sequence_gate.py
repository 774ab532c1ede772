"""Duplicate / reorder / restart decisions for OpenTrackIO sequence numbers."""

from __future__ import annotations

from tracking.sequence import QUIET_RESET_S, SequenceGate


def feed(gate: SequenceGate, seq: int, payload: bytes, t_sample: float | None, now: float) -> str | None:
    if gate.is_duplicate("s", seq, payload, now):
        return "duplicate"
    return gate.admit("s", seq, payload, t_sample, now)


def test_duplicates_processed_once() -> None:
    gate = SequenceGate()
    assert feed(gate, 10, b"a", 1.0, 0.0) is None
    assert feed(gate, 10, b"a", 1.0, 0.001) == "duplicate"
    assert feed(gate, 11, b"b", 1.1, 0.002) is None
    assert feed(gate, 10, b"a", 1.0, 0.003) == "duplicate"


def test_late_reordered_message_is_refused() -> None:
    gate = SequenceGate()
    assert feed(gate, 10, b"a", 1.0, 0.0) is None
    assert feed(gate, 12, b"c", 1.2, 0.0) is None
    assert feed(gate, 11, b"b", 1.1, 0.0) == "out_of_order"


def test_restart_from_zero_with_newer_sample_time_is_accepted() -> None:
    gate = SequenceGate()
    for seq in range(5):
        assert feed(gate, seq, bytes([seq]), seq * 0.01, seq * 0.01) is None
    # Restarted sender: same numbers again, different content, later sample times.
    assert feed(gate, 0, b"new0", 10.0, 0.06) is None
    assert feed(gate, 1, b"new1", 10.01, 0.07) is None
    assert feed(gate, 2, bytes([2]), 0.02, 0.08) is None  # a new number after the restart is not a duplicate


def test_restart_without_sample_times_accepted_after_quiet() -> None:
    gate = SequenceGate()
    assert feed(gate, 100, b"x", None, 0.0) is None
    assert feed(gate, 0, b"y", None, 0.1) == "out_of_order"
    assert feed(gate, 0, b"y", None, 0.1 + QUIET_RESET_S + 0.01) is None


def test_wraparound_is_forward() -> None:
    gate = SequenceGate()
    assert feed(gate, 65535, b"a", 1.0, 0.0) is None
    assert feed(gate, 0, b"b", 1.01, 0.01) is None
    assert feed(gate, 1, b"c", 1.02, 0.02) is None


def test_senders_are_independent() -> None:
    gate = SequenceGate()
    assert gate.admit("a", 5, b"p", 1.0, 0.0) is None
    assert not gate.is_duplicate("b", 5, b"p", 0.0)
