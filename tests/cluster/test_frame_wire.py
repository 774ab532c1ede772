"""The frame-lock wire (stage/core/wire/frame.py): round trips, a newer writer's extra fields, a different major version
and malformed messages."""

from __future__ import annotations

import orjson
import pytest

from stage.core.wire.base import WIRE_MAJOR
from stage.core.wire.frame import (
    FrameMessage,
    PresentReport,
    ReadyMessage,
    ReleaseMessage,
    decode_leader,
    decode_ready,
    encode_frame,
    encode_ready,
    encode_release,
)
from stage.core.wire.pose import PoseMessage, WireError
from tests.cluster.helpers import pose_body


def _frame() -> FrameMessage:
    return FrameMessage(v=WIRE_MAJOR, leader="abc", frame=107_669_892_796, rate="24000/1001",
                        t_frame=1796292711.48, t_latch=1796292711.47, state_rev=12,
                        poses={"cam1": PoseMessage.model_validate(pose_body("cam1", 41))}, members=["n1", "n2"],
                        barrier_timeout_ms=100.0)


def _ready() -> ReadyMessage:
    return ReadyMessage(v=1, node="n1", leader="abc", frame=5, state_rev=3, poses={"cam1": 41}, t_frame_recv=1.0,
                        t_render_start=1.1, t_render_end=1.2, t_ready=1.3,
                        previous=PresentReport(frame=4, t_release_recv=0.9, t_present=0.95))


def test_round_trips() -> None:
    frame = _frame()
    assert decode_leader(encode_frame(frame)) == frame
    release = ReleaseMessage(v=1, leader="abc", frame=5, t_release=2.0, ready=["n1"], dropped=["n2"])
    assert decode_leader(encode_release(release)) == release
    ready = _ready()
    frames = encode_ready(ready)
    assert frames[0] == b"ready/n1"
    assert decode_ready(frames) == ready


def test_a_newer_writers_fields_are_ignored() -> None:
    topic, body = encode_frame(_frame())
    data = orjson.loads(body)
    data["genlock"] = {"phase": 0.25}
    decoded = decode_leader([topic, orjson.dumps(data)])
    assert isinstance(decoded, FrameMessage) and decoded.frame == 107_669_892_796
    assert decoded.poses["cam1"].seq == 41


@pytest.mark.parametrize(("frames", "reason"), [
    ([b"frame", orjson.dumps({"v": 2, "frame": 1})], "protocol version 2 is not supported"),
    ([b"frame", orjson.dumps({"frame": 1})], "v: protocol version missing or not an integer"),
    ([b"frame", b"{not json"], "not JSON"),
    ([b"frame", b"[1, 2]"], "must be a JSON object"),
    ([b"frame", orjson.dumps({"v": 1, "leader": "a"})], "frame: frame: Field required"),
    ([b"tick", orjson.dumps({"v": 1})], "unknown frame-lock topic"),
    ([b"frame"], "expected 2 frames"),
])
def test_malformed_leader_messages_raise_one_line(frames: list[bytes], reason: str) -> None:
    with pytest.raises(WireError, match=reason):
        decode_leader(frames)


def test_ready_topic_must_name_the_node() -> None:
    _, body = encode_ready(_ready())
    with pytest.raises(WireError, match="does not match the topic"):
        decode_ready([b"ready/n2", body])
    data = orjson.loads(body)
    data["frame"] = -1
    with pytest.raises(WireError, match="ready/n1: frame:"):
        decode_ready([b"ready/n1", orjson.dumps(data)])


def test_leave_reports_round_trip_and_bad_ones_are_typed_rejects() -> None:
    from stage.core.wire.frame import LeaveMessage, decode_node_report, encode_leave

    message = LeaveMessage(v=WIRE_MAJOR, node="left-1", reason="window closed")
    assert decode_node_report(encode_leave(message)) == message
    with pytest.raises(WireError, match="does not match the topic"):
        decode_node_report([b"leave/other", encode_leave(message)[1]])
    with pytest.raises(WireError):
        decode_node_report([b"leave/left-1", b"{not json"])
