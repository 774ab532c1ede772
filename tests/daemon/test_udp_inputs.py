"""FreeD and OpenTrackIO into the daemon process over real UDP; poses out over real ZeroMQ."""

from __future__ import annotations

import json
import random
import socket
import time
from pathlib import Path

import pytest
import zmq

from stage.core.wire.pose import PoseMessage, decode_pose, decode_stats
from tests.procs import Proc, free_udp_port, recv_frames, subscriber
from tracking.freed import encode_d1
from tracking.opentrackio.header import ENCODING_JSON, encode_datagram

OTRK = Path(__file__).resolve().parents[1] / "data" / "reference" / "opentrackio"

STAGE_YAML = """
name: test
walls:
  - {{name: w, kind: flat, resolution_px: [64, 32], output: {{node: n}},
     corners: {{lower_left: [-2, 4, 0], lower_right: [2, 4, 0], upper_left: [-2, 4, 2]}}}}
nodes: [{{name: n, outputs: [{{name: o, resolution_px: [64, 32]}}]}}]
endpoints: {{pose: "tcp://127.0.0.1:*"}}
sources:
  - {{name: crane, kind: freed, bind: 127.0.0.1, port: {port}, timeout_ms: {timeout_ms}}}
cameras:
  - {{id: A, source: crane, source_camera: "1", sensor_mm: [36, 24], lens: {{kind: fixed, focal_length_mm: 35}}}}
  - {{id: B, source: crane, source_camera: "2", sensor_mm: [36, 24], lens: {{kind: fixed, focal_length_mm: 50}}}}
"""


@pytest.fixture
def ctx():
    ctx = zmq.Context()
    yield ctx
    ctx.destroy(linger=0)


@pytest.fixture
def udp():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    yield sock
    sock.close()


def start(args: list[str]) -> tuple[Proc, str]:
    proc = Proc(["-m", "tracking", *args])
    try:
        endpoint = proc.wait_for(r"publishing on (tcp://127\.0\.0\.1:\d+)").group(1)
    except AssertionError:
        proc.kill()
        raise
    return proc, endpoint


def first_pose(sub: zmq.Socket, send, timeout_s: float = 5.0) -> PoseMessage:
    """Send until the subscription has joined (no sleeps): the first message proves it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        send()
        if sub.poll(100):
            return decode_pose(sub.recv_multipart())
    raise AssertionError("no pose published")


def test_freed_maps_to_stage_convention(ctx, udp) -> None:
    port = free_udp_port()
    proc, endpoint = start(["--source", f"freed://127.0.0.1:{port}", "--publish", "tcp://127.0.0.1:*"])
    try:
        sub = subscriber(ctx, endpoint, b"pose/")
        packet = encode_d1(7, pan_deg=30.0, tilt_deg=-5.0, roll_deg=2.0, x_mm=1000.0, y_mm=-2500.0,
                           z_mm=1600.0, zoom=0, focus=0)
        msg = first_pose(sub, lambda: udp.sendto(packet, ("127.0.0.1", port)))
        assert msg.rotation_deg == pytest.approx((-30.0, -5.0, 2.0), abs=1e-4)  # FreeD pan right = stage pan −
        assert msg.position_m == pytest.approx((1.0, -2.5, 1.6), abs=1e-4)
        assert msg.t_sample == msg.t_recv  # FreeD has no sample time: receive time
        assert msg.focal_length_mm == 35.0 and msg.sensor_mm == (36.0, 24.0)
    finally:
        proc.kill()


def _valid(i: int, camera: int = 1) -> bytes:
    return encode_d1(camera, 0.0, 0.0, 0.0, x_mm=float(i), y_mm=0.0, z_mm=0.0, zoom=0, focus=0)


def _garbage(rng: random.Random, valid: bytes) -> bytes:
    choice = rng.randrange(5)
    if choice == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 80)))
    if choice == 1:
        return valid[: rng.randrange(1, 29)]
    if choice == 2:
        return valid[:28] + bytes([(valid[28] + 1) % 256])  # bad checksum
    if choice == 3:
        return valid + b"\x00" * rng.randrange(1, 1000)  # oversized
    return b"\xd2" + valid[1:]  # wrong type


def test_fuzz_every_valid_packet_published_no_invalid_one(ctx, udp, tmp_path) -> None:
    port = free_udp_port()
    config = tmp_path / "stage.yaml"
    config.write_text(STAGE_YAML.format(port=port, timeout_ms=5000))
    proc, endpoint = start([str(config)])
    try:
        sub = subscriber(ctx, endpoint, b"pose/")
        first_pose(sub, lambda: udp.sendto(_valid(0), ("127.0.0.1", port)))
        rng = random.Random(1234)
        sent_x_mm = []
        garbage = 0
        for i in range(1, 401):
            if rng.random() < 0.5:
                udp.sendto(_garbage(rng, _valid(i)), ("127.0.0.1", port))
                garbage += 1
            sent_x_mm.append(i)
            udp.sendto(_valid(i, camera=1 + i % 2), ("127.0.0.1", port))
            if i % 50 == 0:
                time.sleep(0.005)  # loopback UDP is lossless only while the receiver keeps up
        got: dict[str, list[float]] = {"A": [], "B": []}
        while sub.poll(1000):
            msg = decode_pose(sub.recv_multipart())
            if msg.position_m[0] > 0 or msg.seq > 0:
                got[msg.camera].append(round(msg.position_m[0] * 1000.0))
        assert sorted(got["A"] + got["B"]) == sent_x_mm
        assert all(x % 2 == 0 for x in got["A"]) and all(x % 2 == 1 for x in got["B"])  # no cross-talk
        stats_sub = subscriber(ctx, endpoint, b"stats")
        stats = decode_stats(recv_frames(stats_sub, 3.0))
        crane = stats.sources["crane"]
        assert sum(crane.rejects.values()) == garbage
        assert crane.accepted == len(sent_x_mm) + 1
        assert proc.popen.poll() is None
    finally:
        proc.kill()


def test_dropout_republishes_last_pose_stale(ctx, udp, tmp_path) -> None:
    port = free_udp_port()
    config = tmp_path / "stage.yaml"
    config.write_text(STAGE_YAML.format(port=port, timeout_ms=200))
    proc, endpoint = start([str(config)])
    try:
        sub = subscriber(ctx, endpoint, b"pose/A")
        live = first_pose(sub, lambda: udp.sendto(_valid(1234), ("127.0.0.1", port)))
        assert not live.stale
        stale = []
        deadline = time.monotonic() + 3.0
        while len(stale) < 5 and time.monotonic() < deadline:
            msg = decode_pose(recv_frames(sub, 2.0))
            if msg.stale:
                stale.append(msg)
        assert len(stale) == 5
        for msg in stale:
            assert msg.position_m == live.position_m and msg.seq == live.seq  # last good pose, never zeros
        gaps = [b.t_pub - a.t_pub for a, b in zip(stale, stale[1:], strict=False)]
        assert all(0.05 < g < 0.3 for g in gaps), gaps  # steady re-send rate
        udp.sendto(_valid(99), ("127.0.0.1", port))
        while True:
            msg = decode_pose(recv_frames(sub, 2.0))
            if not msg.stale:
                break
        assert msg.position_m[0] == pytest.approx(0.099)
    finally:
        proc.kill()


def test_opentrackio_reference_datagrams_duplicates_and_restart(ctx, udp) -> None:
    port = free_udp_port()
    proc, endpoint = start(["--source", f"opentrackio://127.0.0.1:{port}?timeout_ms=5000", "--publish",
                            "tcp://127.0.0.1:*"])
    try:
        sub = subscriber(ctx, endpoint, b"pose/")
        single = (OTRK / "packets" / "reference_sender_json_seq1.bin").read_bytes()
        first = first_pose(sub, lambda: udp.sendto(single, ("127.0.0.1", port)))
        assert first.focal_length_mm > 0
        drain_until = time.monotonic() + 0.3  # the repeated first sends: all but one were duplicates
        while sub.poll(50) or time.monotonic() < drain_until:
            if sub.poll(0):
                assert decode_pose(sub.recv_multipart()).seq == first.seq
            if time.monotonic() > drain_until + 1.0:
                break
        cbor = (OTRK / "packets" / "reference_sender_cbor_seq2.bin").read_bytes()
        for _ in range(3):
            udp.sendto(cbor, ("127.0.0.1", port))
        assert decode_pose(recv_frames(sub, 3.0)).seq == first.seq + 1
        assert not sub.poll(150), "a duplicate sequence number was processed twice"
        for part in (2, 0, 1):  # segments out of order
            udp.sendto((OTRK / "packets" / f"reference_sender_json_3seg_part{part}.bin").read_bytes(),
                       ("127.0.0.1", port))
        segmented = decode_pose(recv_frames(sub, 3.0))
        assert segmented.seq == first.seq + 2
        # A restarted sender counting from 0 again (a message of our own, sequence 0).
        sample = json.loads((OTRK / "examples" / "recommended_dynamic_example.json").read_text())
        sample["transforms"][0]["translation"] = {"x": 1.5, "y": 2.5, "z": 3.5}
        sample["timing"]["sampleTimestamp"] = {"seconds": int(time.time()) + 3600, "nanoseconds": 0}
        udp.sendto(encode_datagram(json.dumps(sample).encode(), ENCODING_JSON, sequence=0), ("127.0.0.1", port))
        restarted = decode_pose(recv_frames(sub, 3.0))
        assert not restarted.stale
        assert restarted.seq > segmented.seq and restarted.position_m[0] != segmented.position_m[0]
        assert proc.popen.poll() is None
    finally:
        proc.kill()


def test_opentrackio_multicast_group_on_loopback(ctx) -> None:
    port = free_udp_port()
    group = f"239.135.1.{random.randint(100, 200)}"
    proc, endpoint = start(["--source", f"opentrackio://{group}:{port}?interface=127.0.0.1", "--publish",
                            "tcp://127.0.0.1:*"])
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
        sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        sub = subscriber(ctx, endpoint, b"pose/")
        datagram = (OTRK / "packets" / "reference_sender_json_seq1.bin").read_bytes()
        msg = first_pose(sub, lambda: sender.sendto(datagram, (group, port)))
        assert msg.focal_length_mm > 0 and not msg.stale
    finally:
        sender.close()
        proc.kill()
