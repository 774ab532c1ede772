"""Hostile OpenTrackIO payloads into the running daemon over real loopback UDP: each one ends in a counted, typed
reject (or, for lens/static-only messages, an accepted state update), and the daemon keeps publishing."""

from __future__ import annotations

import json
import socket
import time
from collections import Counter

import cbor2
import pytest
import zmq

from stage.core.wire.pose import SourceStats, decode_pose, decode_stats
from tests.daemon.test_udp_inputs import first_pose, start
from tests.procs import free_udp_port, recv_frames, subscriber
from tracking.opentrackio.header import ENCODING_CBOR, ENCODING_JSON, encode_datagram

SOURCE_ID = "urn:uuid:00000000-0000-0000-0000-0000000000d1"


def _pose(x: float, **extra: object) -> dict:
    return {"sourceId": SOURCE_ID, "transforms": [{"translation": {"x": x, "y": 0.0, "z": 1.0},
                                                  "rotation": {"pan": 0.0, "tilt": 0.0, "roll": 0.0}}], **extra}


def _cbor_pose_with_x(raw_x: bytes) -> bytes:
    return cbor2.dumps(_pose(0.125)).replace(cbor2.dumps(0.125), raw_x)


# (encoding, payload, expected reason or "accepted")
HOSTILE = [
    (ENCODING_CBOR, _cbor_pose_with_x(cbor2.dumps(10**400)), "limit"),  # bignum: once an OverflowError
    (ENCODING_CBOR, _cbor_pose_with_x(cbor2.dumps(-(10**400))), "limit"),
    (ENCODING_CBOR, cbor2.dumps(_pose(0.5, timing={"sequenceNumber": 10**400})), "schema"),
    (ENCODING_CBOR, _cbor_pose_with_x(b"\xfb\x7f\xf8\x00\x00\x00\x00\x00\x00"), "non_finite"),  # NaN
    (ENCODING_CBOR, _cbor_pose_with_x(b"\xf9\x7c\x00"), "non_finite"),  # +inf
    (ENCODING_CBOR, _cbor_pose_with_x(b"\xd9\x04\xd2\x01"), "schema"),  # unknown tag 1234
    (ENCODING_CBOR, _cbor_pose_with_x(b"\xc4\x82\x21\x19\x6a\xb3"), "schema"),  # decimal fraction
    (ENCODING_CBOR, b"\x81" * 5000 + b"\x00", "bad_json"),  # deep nesting
    (ENCODING_CBOR, b"\x5b\x0f\xff\xff\xff\xff\xff\xff\xff", "bad_json"),  # a byte string of 2^60 bytes
    (ENCODING_JSON, json.dumps(_pose(0.5)).replace("0.5", "1" + "0" * 400).encode(), "bad_json"),  # huge literal
    (ENCODING_JSON, json.dumps(_pose(0.5)).replace("0.5", "NaN").encode(), "bad_json"),
    (ENCODING_JSON, b"[" * 5000 + b"]" * 5000, "bad_json"),
    (ENCODING_JSON, json.dumps(_pose(0.5, lens={"entrancePupilOffset": 50.0})).encode(), "limit"),
    (ENCODING_JSON, json.dumps({"sourceId": SOURCE_ID, "lens": {"pinholeFocalLength": 85.0, "encoders": {"zoom": 0.375}}
                                }).encode(), "accepted"),
    (ENCODING_CBOR, cbor2.dumps({"sourceId": SOURCE_ID, "static": {"camera": {"activeSensorPhysicalDimensions":
                                                                              {"width": 30.0, "height": 20.0}}}}),
     "accepted"),
]


@pytest.fixture
def ctx():
    ctx = zmq.Context()
    yield ctx
    ctx.destroy(linger=0)


def _stats_after(sub: zmq.Socket, packets: int, timeout_s: float = 5.0) -> SourceStats:
    """The first stats message whose (only) source has counted ``packets`` datagrams."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stats = decode_stats(recv_frames(sub, timeout_s))
        (source,) = stats.sources.values()
        if source.packets >= packets:
            return source
    raise AssertionError(f"no stats with {packets} packets")


def test_hostile_payloads_are_counted_and_the_daemon_survives(ctx) -> None:
    port = free_udp_port()
    proc, endpoint = start(["--source", f"opentrackio://127.0.0.1:{port}?timeout_ms=5000", "--publish",
                            "tcp://127.0.0.1:*"])
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sub = subscriber(ctx, endpoint, b"pose/")
        stats_sub = subscriber(ctx, endpoint, b"stats")
        first = encode_datagram(json.dumps(_pose(0.25)).encode(), ENCODING_JSON, sequence=1)
        sent = 0

        def send_first() -> None:
            nonlocal sent
            udp.sendto(first, ("127.0.0.1", port))
            sent += 1

        assert first_pose(sub, send_first).position_m[0] == 0.25
        for i, (encoding, payload, _) in enumerate(HOSTILE):
            udp.sendto(encode_datagram(payload, encoding, sequence=10 + i), ("127.0.0.1", port))
        last = encode_datagram(json.dumps(_pose(0.75)).encode(), ENCODING_JSON, sequence=100)
        udp.sendto(last, ("127.0.0.1", port))
        sent += len(HOSTILE) + 1
        while True:  # the pose after all of it: published, with the lens and sensor the state-only messages sent
            msg = decode_pose(recv_frames(sub, 5.0))
            if msg.position_m[0] == 0.75:
                break
        assert msg.focal_length_mm == 85.0 and msg.sensor_mm == (30.0, 20.0) and msg.zoom_encoder == 0.375
        stats = _stats_after(stats_sub, sent)
        expected = Counter(reason for _, _, reason in HOSTILE if reason != "accepted")
        rejects = Counter({k: v for k, v in stats.rejects.items() if k != "duplicate"})  # repeats of `first`
        assert rejects == expected
        assert stats.rejects.get("duplicate", 0) == sent - len(HOSTILE) - 2
        assert stats.accepted == 2 + 2  # two poses, two state-only messages
        assert proc.popen.poll() is None
    finally:
        udp.close()
        proc.kill()
