"""Stale means "no new pose from tracking for the timeout", not "the node was slow": a node that takes longer than
the timeout per frame still reads a fresh pose each frame, so its cameras are not stale (issue: `stage status`
showed `stale A` at a pose age of 7 ms)."""

from __future__ import annotations

import json
import time

import zmq

from renderer.node_io import NodeSockets
from stage.core.pose_latch import STALE_AFTER_S, PoseLatch, RejectCounter
from tests.renderer.node_helpers import pose_frames


def test_a_slow_node_reading_fresh_poses_reports_nothing_stale() -> None:
    latch = PoseLatch(RejectCounter())
    frame_s = STALE_AFTER_S + 0.2  # a node at well under 2 fps
    for frame in range(5):
        t = 100.0 + frame * frame_s
        assert latch.feed(pose_frames("A", (0, 0, 1), (0, 0, 0), seq=frame), t)  # the pose queued during the frame
        latch.checked(t)
        assert latch.stale_cameras() == [], f"frame {frame}"


def test_silence_longer_than_the_timeout_is_stale_at_the_next_read() -> None:
    latch = PoseLatch(RejectCounter())
    latch.feed(pose_frames("A", (0, 0, 1), (0, 0, 0), seq=1), 100.0)
    latch.feed(pose_frames("B", (0, 0, 1), (0, 0, 0), seq=1), 100.0)
    latch.checked(100.0)
    latch.feed(pose_frames("B", (0, 0, 1), (0, 0, 0), seq=2), 100.0 + STALE_AFTER_S)
    latch.checked(100.0 + STALE_AFTER_S + 0.01)  # A said nothing since 100.0
    assert latch.stale_cameras() == ["A"]


def test_the_daemons_stale_flag_is_stale_at_once() -> None:
    latch = PoseLatch(RejectCounter())
    topic, body = pose_frames("A", (0, 0, 1), (0, 0, 0), seq=1)
    latch.feed([topic, json.dumps({**json.loads(body), "stale": True}).encode()], 100.0)
    latch.checked(100.0)
    assert latch.stale_cameras() == ["A"]


def test_reading_the_socket_marks_the_check_time() -> None:
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    sockets = NodeSockets(f"tcp://127.0.0.1:{port}", None, None)
    latch = PoseLatch(RejectCounter())
    try:
        deadline = time.monotonic() + 10.0
        while not latch.poses and time.monotonic() < deadline:  # re-send until the subscription has joined
            pub.send_multipart(pose_frames("A", (0, 0, 1), (0, 0, 0), seq=1))
            sockets.drain_poses(latch)
            time.sleep(0.01)
        assert latch.poses and latch.checked_s is not None
        assert latch.checked_s >= latch.poses["A"].arrived_s
        assert latch.stale_cameras() == []
    finally:
        sockets.close()
        pub.close(linger=0)
        ctx.term()
