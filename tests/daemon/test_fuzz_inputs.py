"""Fuzz the tracking inputs through real loopback UDP sockets: whatever arrives, every valid datagram comes out as
one finite sample, nothing invalid does, and every reject is counted by reason."""

from __future__ import annotations

import itertools
import json
import math
import random
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stage.core.config.sources import FreeDSource, OpenTrackIOSource
from tests.procs import free_udp_port
from tracking.freed import encode_d1
from tracking.opentrackio.header import ENCODING_CBOR, ENCODING_JSON, encode_datagram
from tracking.sources.freed_input import FreeDInput
from tracking.sources.opentrackio_input import OpenTrackIOInput

OTRK = Path(__file__).resolve().parents[1] / "data" / "reference" / "opentrackio"
EXAMPLE = json.loads((OTRK / "examples" / "complete_dynamic_example.json").read_text())


_SEQUENCE = itertools.count(1)


def _valid_otrk(seq: int, x: float) -> bytes:
    msg = json.loads(json.dumps(EXAMPLE))
    msg["transforms"] = [{"translation": {"x": x, "y": 1.0, "z": 1.5}, "rotation": {"pan": 10.0, "tilt": 0.0,
                                                                                     "roll": 0.0}, "id": "Camera"}]
    msg["timing"]["sampleTimestamp"] = {"seconds": 1_800_000_000 + seq, "nanoseconds": 0}
    return encode_datagram(json.dumps(msg).encode(), ENCODING_JSON, sequence=seq)


_hostile_json = st.sampled_from([
    b'{"transforms": [{"translation": {"x": NaN, "y": 0, "z": 0}}]}',
    b'{"transforms": [{"translation": {"x": 1e308, "y": 1e308, "z": 1e308}, "rotation": {"pan": 0}}]}',
    b'{"transforms": "nope"}', b"[1, 2, 3]", b"{", b"null", b'{"lens": {"pinholeFocalLength": -5}}',
    b'{"transforms": [{"translation": {"x": "a", "y": 0, "z": 0}}]}', b"\xff\xfe",
])


def _garbage() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=300),
        st.builds(lambda p: encode_datagram(p, ENCODING_JSON, sequence=50_000), _hostile_json),
        st.builds(lambda p: encode_datagram(p, ENCODING_CBOR, sequence=50_001), st.binary(max_size=100)),
        st.builds(lambda b, i: b[:i] + bytes([(b[i] + 1) % 256]) + b[i + 1:] if i < len(b) else b[:-1],
                  st.just(_valid_otrk(7, 0.5)), st.integers(0, 1500)),
    )


@pytest.fixture(scope="module")
def otrk_input():
    port = free_udp_port()
    inp = OpenTrackIOInput(OpenTrackIOSource(name="fuzz", kind="opentrackio", address="127.0.0.1", port=port))
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    yield inp, sender, port
    inp.close()
    sender.close()


def _read_all(inp, expected_packets: int) -> list:
    out = []
    for _ in range(200):
        out += inp.read(0.0)
        if inp.counters.packets >= expected_packets:
            out += inp.read(0.0)
            return out
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.lists(_garbage(), min_size=1, max_size=8))
def test_opentrackio_valid_through_garbage(otrk_input, garbage) -> None:
    inp, sender, port = otrk_input
    start_packets = inp.counters.packets
    start_rejects = sum(inp.counters.rejects.values())
    start_state_only = inp.counters.accepted  # the input itself counts only messages without transforms
    start_pending = inp.reassembler.pending
    base = next(_SEQUENCE) * 20  # a well-behaved sender: numbers and sample times always move forward
    valid = [_valid_otrk(base + i, 0.01 * i) for i in range(len(garbage))]
    for g, v in zip(garbage, valid, strict=True):
        sender.sendto(g, ("127.0.0.1", port))
        sender.sendto(v, ("127.0.0.1", port))
    samples = _read_all(inp, start_packets + 2 * len(garbage))
    xs = [s.position_m[0] for s, _ in samples]
    for s, _ in samples:
        assert all(math.isfinite(v) for v in (*s.position_m, *s.rotation_deg))
    # Every valid one published (garbage that happens to be valid — e.g. a harmless byte flip in a JSON string —
    # may add one of its own, but never displaces a valid one).
    for i in range(len(valid)):
        assert any(abs(x - 0.01 * i) < 1e-9 for x in xs), (i, xs)
    counted = inp.counters.packets - start_packets
    rejected = sum(inp.counters.rejects.values()) - start_rejects
    assert counted == 2 * len(garbage)
    held = inp.reassembler.pending - start_pending  # segments waiting for the rest; counted if they expire
    state_only = inp.counters.accepted - start_state_only  # e.g. CBOR ``{}``: schema-valid, no transforms
    assert len(samples) + rejected + held + state_only == counted  # every datagram accounted for


def test_freed_random_bytes_never_publish(tmp_path) -> None:
    port = free_udp_port()
    inp = FreeDInput(FreeDSource(name="f", kind="freed", bind="127.0.0.1", port=port))
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rng = random.Random(7)
    try:
        valid = 0
        for i in range(300):
            if rng.random() < 0.3:
                sender.sendto(encode_d1(1, 0.0, 0.0, 0.0, float(i), 0.0, 0.0, 0, 0), ("127.0.0.1", port))
                valid += 1
            else:
                junk = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 28, 29, 30, 64])))
                if len(junk) == 29:
                    junk = b"\xd1" + junk[1:]  # right type, almost surely a wrong checksum
                sender.sendto(junk, ("127.0.0.1", port))
        samples = _read_all(inp, 300)
        assert inp.counters.packets == 300
        assert len(samples) + sum(inp.counters.rejects.values()) == 300
        assert len(samples) >= valid
        assert set(inp.counters.rejects) <= {"bad_length", "bad_type", "bad_checksum"}
    finally:
        inp.close()
        sender.close()


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.lists(_garbage(), min_size=1, max_size=16))
def test_opentrackio_valid_through_garbage_long(otrk_input, garbage) -> None:
    test_opentrackio_valid_through_garbage.hypothesis.inner_test(otrk_input, garbage)
