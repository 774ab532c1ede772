"""A node renders each frame with the live-state revision the leader latched, whether the state stream is behind the
frame or ahead of it; over a real PUB/SUB pair on loopback."""

from __future__ import annotations

import zmq

from stage.core.cluster.state_sync import KEEP_REVISIONS, StateTimeline
from stage.core.live import LiveState
from stage.core.wire.state import encode_delta, encode_snapshot
from tests.procs import recv_frames


def _pair():
    context = zmq.Context()
    pub = context.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"state/")
    sub.connect(f"tcp://127.0.0.1:{port}")
    return context, pub, sub


def _receiver(sub: zmq.Socket):
    def receive(timeout_s: float) -> list[list[bytes]]:
        if not sub.poll(int(timeout_s * 1000)):
            return []
        out = []
        while True:
            try:
                out.append(sub.recv_multipart(zmq.NOBLOCK))
            except zmq.Again:
                return out
    return receive


def test_waits_for_a_revision_not_yet_received_and_keeps_older_ones() -> None:
    context, pub, sub = _pair()
    try:
        timeline = StateTimeline(LiveState())
        while True:  # subscription joined when the first snapshot arrives (no sleeps)
            pub.send_multipart(encode_snapshot(1, LiveState(exposure_ev=1.0)))
            if sub.poll(50):
                timeline.feed(recv_frames(sub, 5))
                break
        assert timeline.rev == 1
        pub.send_multipart(encode_delta(2, 1, {"exposure_ev": 2.0}))
        rev, state = timeline.state_for(2, _receiver(sub), wait_s=10.0)  # not received yet: waits for it
        assert (rev, state.exposure_ev) == (2, 2.0)
        pub.send_multipart(encode_delta(3, 2, {"exposure_ev": 3.0}))
        assert timeline.state_for(3, _receiver(sub), wait_s=10.0)[0] == 3
        rev, state = timeline.state_for(2, _receiver(sub), wait_s=0.0)  # the node is ahead of the frame
        assert (rev, state.exposure_ev) == (2, 2.0)
        assert timeline.state_for(-1, _receiver(sub), wait_s=0.0)[1].exposure_ev == 0.0  # the initial state
        rev, state = timeline.state_for(9, _receiver(sub), wait_s=0.05)  # never sent: the newest older one
        assert (rev, state.exposure_ev) == (3, 3.0) and timeline.missed == 1
    finally:
        sub.close(linger=0)
        pub.close(linger=0)
        context.term()


def test_keeps_a_bounded_history_and_counts_malformed_messages() -> None:
    timeline = StateTimeline(LiveState())
    timeline.feed(encode_snapshot(0, LiveState()))
    for rev in range(1, 100):
        timeline.feed(encode_delta(rev, rev - 1, {"exposure_ev": rev / 100}))
    assert len(timeline.states) == KEEP_REVISIONS and timeline.rev == 99
    assert timeline.state_for(99 - KEEP_REVISIONS + 1, lambda _t: [], 0.0)[0] == 99 - KEEP_REVISIONS + 1
    assert timeline.state_for(5, lambda _t: [], 0.0)[0] == 99  # long gone: nothing older kept, the newest
    assert not timeline.feed([b"state/delta", b"{"]) and timeline.rejects == 1


def test_locked_renderer_draws_the_frames_inputs_at_the_frames_time() -> None:
    from stage.core.cluster.locked_render import LockedRenderer
    from stage.core.wire.frame import FrameMessage
    from stage.core.wire.pose import PoseMessage
    from tests.cluster.helpers import pose_body

    timeline = StateTimeline(LiveState())
    waiting = [encode_snapshot(4, LiveState(exposure_ev=4.0)), encode_delta(5, 4, {"exposure_ev": 5.0})]
    applied, drawn, finished = [], [], []

    def receive(_timeout_s: float) -> list[list[bytes]]:
        out = list(waiting)
        waiting.clear()
        return out

    render = LockedRenderer(timeline, receive, applied.append, lambda poses, t: drawn.append((poses, t)),
                            lambda: finished.append(True))

    def frame(rev: int) -> FrameMessage:
        return FrameMessage(v=1, leader="L", frame=7, rate="60", t_frame=123.5, t_latch=123.49, state_rev=rev,
                            poses={"cam1": PoseMessage.model_validate(pose_body("cam1", 17))}, members=["a"],
                            barrier_timeout_ms=100.0)

    assert render(frame(4)).state_rev == 4  # the stream is already at 5: the frame's 4 is drawn
    assert [s.exposure_ev for s in applied] == [4.0]
    rendered = render(frame(5))
    assert (rendered.state_rev, rendered.poses) == (5, {"cam1": 17})
    assert render(frame(5)).state_rev == 5 and len(applied) == 2  # unchanged revision: not applied again
    assert [s.exposure_ev for s in applied] == [4.0, 5.0]
    assert drawn[-1][1] == 123.5 and drawn[-1][0]["cam1"].seq == 17 and len(finished) == 3
