"""OpenTrackIO datagram header, checksum and segment reassembly against the reference packets."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracking.errors import TrackingParseError
from tracking.opentrackio.header import (
    ENCODING_CBOR,
    ENCODING_JSON,
    encode_datagram,
    fletcher16,
    parse_datagram,
    segment_message,
)
from tracking.opentrackio.reassembly import Reassembler

SEGMENTS = [f"reference_sender_json_3seg_part{i}.bin" for i in range(3)]


@pytest.fixture(scope="module")
def packets(reference_data) -> dict[str, bytes]:
    folder = reference_data / "opentrackio" / "packets"
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.bin"))}


def _textbook_fletcher_mod256(data: bytes) -> int:
    s1 = s2 = 0
    for b in data:
        s1 = (s1 + b) % 256
        s2 = (s2 + s1) % 256
    return (s2 << 8) | s1


@given(st.binary(max_size=3000))
def test_numpy_fletcher_equals_running_sum_definition(data):
    assert fletcher16(data) == _textbook_fletcher_mod256(data)


def test_reference_packets_parse_with_expected_headers(packets):
    expected = {  # name: (encoding, sequence, offset, last, payload length)
        "reference_sender_json_seq1.bin": (ENCODING_JSON, 1, 0, True, 1386),
        "reference_sender_cbor_seq2.bin": (ENCODING_CBOR, 2, 0, True, 1029),
        "reference_sender_json_3seg_part0.bin": (ENCODING_JSON, 3, 0, False, 462),
        "reference_sender_json_3seg_part1.bin": (ENCODING_JSON, 4, 462, False, 462),
        "reference_sender_json_3seg_part2.bin": (ENCODING_JSON, 5, 924, True, 461),
    }
    assert set(packets) == set(expected)
    for name, data in packets.items():
        d = parse_datagram(data)
        assert (d.encoding, d.sequence, d.segment_offset, d.last_segment, len(d.payload)) == expected[name], name
        assert int.from_bytes(data[14:16], "big") == _textbook_fletcher_mod256(data[:14] + data[16:])
        assert encode_datagram(d.payload, d.encoding, d.sequence, d.segment_offset, d.last_segment) == data


def test_mod255_variant_would_not_match(packets):
    data = packets["reference_sender_json_seq1.bin"]
    s1 = s2 = 0
    for b in data[:14] + data[16:]:
        s1, s2 = (s1 + b) % 255, (s2 + (s1 + b) % 255) % 255
    assert int.from_bytes(data[14:16], "big") != (s2 << 8) | s1


@pytest.mark.parametrize("index", [0, 5, 6, 9, 13, 14, 15, 16, 700, 1401])
def test_corrupted_byte_is_rejected(packets, index):
    data = bytearray(packets["reference_sender_json_seq1.bin"])
    data[index] ^= 0x01
    with pytest.raises(TrackingParseError) as info:
        parse_datagram(bytes(data))
    assert info.value.reason == ("bad_type" if index < 6 else "bad_length" if index in (12, 13) else "bad_checksum")


def test_length_mismatch_and_short_datagrams_rejected(packets):
    data = packets["reference_sender_cbor_seq2.bin"]
    for bad in (data[:10], data[:-1], data + b"\0"):
        with pytest.raises(TrackingParseError) as info:
            parse_datagram(bad)
        assert info.value.reason == "bad_length"


def test_unknown_encoding_rejected():
    data = bytearray(encode_datagram(b"{}", ENCODING_JSON))
    data[5] = 0x03
    with pytest.raises(TrackingParseError) as info:
        parse_datagram(bytes(data))
    assert info.value.reason == "bad_type"


def _reassemble(datagrams: list[bytes], sender="a", t0=0.0, r: Reassembler | None = None):
    r = r or Reassembler()
    out = [r.push(sender, parse_datagram(d), t0 + i * 0.001) for i, d in enumerate(datagrams)]
    return [m for m in out if m is not None], r


@settings(max_examples=30)
@given(st.permutations(range(3)))
def test_reference_segments_reassemble_in_any_order(packets, order):
    done, r = _reassemble([packets[SEGMENTS[i]] for i in order])
    assert len(done) == 1 and r.pending == 0
    message = done[0]
    assert message.encoding == ENCODING_JSON and message.sequence == 3
    assert message.payload == b"".join(packets[n][16:] for n in SEGMENTS)
    json.loads(message.payload)


def test_segmented_message_matches_single_datagram_content(packets):
    (message,), _ = _reassemble([packets[n] for n in SEGMENTS])
    seg = json.loads(message.payload)
    single = json.loads(packets["reference_sender_json_seq1.bin"][16:])
    # the sender produced them at different instants of a moving camera: same structure and identity,
    # different measurements
    assert _shape(seg) == _shape(single)
    for key in ("protocol", "sourceId", "sourceNumber", "tracker"):
        assert seg[key] == single[key], key
    assert seg["timing"]["sampleTimestamp"] != single["timing"]["sampleTimestamp"]


def _shape(value):
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def test_missing_segment_gives_nothing_and_expires(packets):
    done, r = _reassemble([packets[SEGMENTS[0]], packets[SEGMENTS[2]]])
    assert done == [] and r.pending == 2
    assert r.expire(now=10.0) == 2 and r.pending == 0
    # the late middle segment alone cannot complete anything
    assert r.push("a", parse_datagram(packets[SEGMENTS[1]]), 10.0) is None


def test_duplicate_segment_is_harmless(packets):
    order = [SEGMENTS[0], SEGMENTS[0], SEGMENTS[1], SEGMENTS[1], SEGMENTS[2]]
    done, r = _reassemble([packets[n] for n in order])
    assert len(done) == 1 and r.pending == 0
    assert done[0].payload == b"".join(packets[n][16:] for n in SEGMENTS)


def test_senders_are_kept_apart(packets):
    r = Reassembler()
    assert r.push("a", parse_datagram(packets[SEGMENTS[0]]), 0.0) is None
    assert r.push("b", parse_datagram(packets[SEGMENTS[1]]), 0.0) is None
    assert r.push("b", parse_datagram(packets[SEGMENTS[2]]), 0.0) is None
    assert r.pending == 3


def test_single_datagram_message_passes_straight_through(packets):
    r = Reassembler()
    m = r.push("a", parse_datagram(packets["reference_sender_cbor_seq2.bin"]), 0.0)
    assert m is not None and m.encoding == ENCODING_CBOR and r.pending == 0


@settings(max_examples=40)
@given(
    message=st.binary(min_size=1, max_size=5000), size=st.integers(50, 1484), same_seq=st.booleans(),
    seq=st.integers(0, 0xFFFF), data=st.data(),
)
def test_segmented_messages_round_trip(message, size, same_seq, seq, data):
    grams = segment_message(message, ENCODING_CBOR, seq, size, sequence_per_segment=not same_seq)
    order = data.draw(st.permutations(range(len(grams))))
    done, r = _reassemble([grams[i] for i in order])
    assert [m.payload for m in done] == [message]
    assert done[0].sequence == seq and r.pending == 0


def test_memory_is_bounded():
    r = Reassembler(max_pending=10)
    for i in range(100):
        first = segment_message(b"x" * 300, ENCODING_JSON, i * 3, 100)[0]
        r.push("a", parse_datagram(first), now=0.0)
    assert r.pending == 10
    assert r.dropped == 90
