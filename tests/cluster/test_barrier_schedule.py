"""The pure parts of the frame lock: who the barrier waits for, and when frames are latched and due."""

from __future__ import annotations

from fractions import Fraction

from stage.core.cluster.barrier import DROPPED, IN, JOINING, FrameBarrier, Membership
from stage.core.cluster.schedule import MIN_LEAD_NS, LatchLead, due_ns, next_frame


def test_join_at_the_frame_boundary_drop_and_rejoin() -> None:
    members = Membership()
    assert members.heard("b") and members.heard("a")
    assert not members.heard("a")
    assert members.members() == []  # joining: not waited for until the boundary
    assert members.boundary() == ["a", "b"]
    barrier = FrameBarrier(10, members.members())
    assert not barrier.ready("a", 9, 1)  # another frame
    assert not barrier.ready("c", 10, 1)  # not a member
    assert barrier.ready("a", 10, 5) and not barrier.ready("a", 10, 6)
    assert not barrier.complete and barrier.missing() == ["b"]
    members.drop(barrier.missing())
    assert members.nodes["b"].state == DROPPED and members.nodes["b"].drops == 1
    assert members.boundary() == ["a"]
    assert members.heard("b") and members.nodes["b"].state == JOINING
    assert members.boundary() == ["a", "b"] and members.nodes["b"].state == IN and members.nodes["b"].joins == 2
    barrier = FrameBarrier(11, ["a", "b"])
    barrier.ready("b", 11, 7)
    barrier.ready("a", 11, 9)
    assert barrier.complete and barrier.last_ready_ns() == 9


def test_frames_are_due_on_the_rational_grid_and_late_frames_are_skipped() -> None:
    rate = Fraction(24000, 1001)
    n = 40_000_000_000
    t = due_ns(n, rate)
    assert next_frame(None, t - 1, rate) == n  # frame n not yet due
    assert next_frame(None, t, rate) == n + 1
    assert next_frame(n - 1, t - 1, rate) == n
    assert next_frame(n - 1, due_ns(n + 3, rate), rate) == n + 4  # fell behind: skips to the next one not due
    assert due_ns(n + 24000, rate) - due_ns(n, rate) == 1001 * 10**9  # 24000 frames: exactly 1001 s


def test_latch_lead_follows_the_slowest_recent_render() -> None:
    rate = Fraction(60)
    lead = LatchLead(rate, margin_ns=2_000_000)
    assert lead.lead_ns() == lead.period_ns // 2
    for _ in range(100):
        lead.record(3_000_000)
    assert lead.lead_ns() == 5_000_000
    lead.record(50_000_000)  # one frame far beyond a period
    assert lead.lead_ns() <= lead.period_ns
    fast = LatchLead(rate, margin_ns=0)
    fast.record(0)
    assert fast.lead_ns() == MIN_LEAD_NS


def test_a_leaving_member_is_excused_from_the_barrier_and_rejoins_when_heard() -> None:
    members = Membership()
    for node in ("a", "b"):
        members.heard(node)
    barrier = FrameBarrier(7, members.boundary())
    assert barrier.ready("a", 7, 1)
    assert members.leave("b") and members.members() == ["a"]
    barrier.excuse("b")
    assert barrier.complete and barrier.missing() == []
    assert not members.leave("b") and not members.leave("nobody")
    assert members.heard("b") and members.nodes["b"].state == JOINING and members.boundary() == ["a", "b"]
    assert members.nodes["b"].drops == 0
