"""OpenTrackIO payload decoding and sample extraction: examples, reference packets, validation."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest

from tracking.errors import TrackingParseError
from tracking.opentrackio._rotation import ptr_from_rotation, rotation_from_ptr
from tracking.opentrackio.decode import SourceCache, compose_transforms, decode_payload, sample_from_message
from tracking.opentrackio.header import ENCODING_CBOR, ENCODING_JSON, parse_datagram

C = math.sqrt(0.5)
# Hand-written: Rz(180), Rx(90), Ry(45) and their product for pan 180, tilt 90, roll 45
RZ180 = np.array([[-1.0, 0, 0], [0, -1, 0], [0, 0, 1]])
RX90 = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
RY45 = np.array([[C, 0, C], [0, 1, 0], [-C, 0, C]])


def _hom(r: np.ndarray, t=(1.0, 2.0, 3.0), s=(1.0, 1.0, 1.0)) -> np.ndarray:
    m = np.eye(4)
    m[:3, :3] = r @ np.diag(s)
    m[:3, 3] = t
    return m


@pytest.fixture(scope="module")
def examples(reference_data) -> dict[str, dict]:
    folder = reference_data / "opentrackio" / "examples"
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


@pytest.fixture(scope="module")
def packets(reference_data) -> dict[str, bytes]:
    folder = reference_data / "opentrackio" / "packets"
    return {p.name: p.read_bytes() for p in folder.glob("*.bin")}


def test_rotation_helper_matches_hand_matrices():
    assert np.allclose(rotation_from_ptr(180, 90, 45), RZ180 @ RX90 @ RY45)
    assert np.allclose(rotation_from_ptr(90, 0, 0), [[0, -1, 0], [1, 0, 0], [0, 0, 1]])  # +Y turns to −X: left
    assert ptr_from_rotation(rotation_from_ptr(30, -20, 10)) == pytest.approx((30, -20, 10))


def test_recommended_examples_by_hand(examples):
    for name in ("recommended_dynamic_example", "recommended_static_example"):
        s = sample_from_message(examples[name], SourceCache())
        assert s.source_camera_id == examples[name]["sourceId"]
        assert s.position_m == (1.0, 2.0, 3.0)
        assert s.rotation_deg == (180.0, 90.0, 45.0)  # a single transform passes through as given
        assert (s.zoom_encoder, s.focus_encoder, s.iris_encoder) == (0.3, 0.1, 0.2)
        assert (s.focal_length_mm, s.focus_m, s.entrance_pupil_m, s.fstop) == (24.305, 10.0, 0.123, 4.0)
        assert s.timecode == "01:02:03:04"
        assert s.sample_rate_hz == 24.0
        assert s.t_sample is None and s.sequence is None
    static = sample_from_message(examples["recommended_static_example"])
    assert static.sensor_mm == (36.0, 24.0) and static.serial is None


def test_complete_examples_compose_three_transforms(examples):
    r = RZ180 @ RX90 @ RY45
    m = _hom(r) @ _hom(r, s=(1, 2, 3)) @ _hom(r, s=(1, 2, 3))
    for name in ("complete_dynamic_example", "complete_static_example"):
        s = sample_from_message(examples[name], SourceCache())
        assert s.position_m == pytest.approx(tuple(m[:3, 3]))
        assert s.t_sample == 1718806554.5
        assert s.sequence == 0
        assert s.timecode == "01:02:03:04"
        # the returned rotation is a proper rotation, and the camera's +Y (optical axis) direction
        # agrees with the composed matrix's (scales only stretch along the camera's own axes)
        rot = rotation_from_ptr(*s.rotation_deg)
        forward = m[:3, :3] @ np.array([0.0, 1.0, 0.0])
        assert np.allclose(rot[:, 1], forward / np.linalg.norm(forward), atol=0.1)
    s = sample_from_message(examples["complete_static_example"])
    assert s.sensor_mm == (36.0, 24.0) and s.serial == "1234567890A"


def test_composition_against_hand_computed_matrices():
    two = [
        {"translation": {"x": 1.0, "y": 0.0, "z": 0.0}, "rotation": {"pan": 90.0, "tilt": 0.0, "roll": 0.0}},
        {"translation": {"x": 0.0, "y": 2.0, "z": 0.5}, "rotation": {"pan": 30.0, "tilt": 10.0, "roll": 0.0}},
    ]
    position, rotation = compose_transforms(two)
    # Rz(90) maps (0, 2, 0.5) to (−2, 0, 0.5); plus (1, 0, 0)
    assert position == pytest.approx((-1.0, 0.0, 0.5))
    assert rotation == pytest.approx((120.0, 10.0, 0.0))
    scaled = [
        {"translation": {"x": 0.0, "y": 0.0, "z": 1.0}, "rotation": {"pan": 0.0, "tilt": 0.0, "roll": 0.0},
         "scale": {"x": 2.0, "y": 2.0, "z": 2.0}},
        {"translation": {"x": 1.0, "y": 1.0, "z": 0.0}, "rotation": {"pan": 0.0, "tilt": 0.0, "roll": 20.0}},
    ]
    position, rotation = compose_transforms(scaled)
    assert position == pytest.approx((2.0, 2.0, 1.0))
    assert rotation == pytest.approx((0.0, 0.0, 20.0))


def test_static_block_remembered_per_source(examples):
    cache = SourceCache()
    static = examples["complete_static_example"]
    dynamic = copy.deepcopy(examples["complete_dynamic_example"])
    assert sample_from_message(dynamic, cache).sensor_mm is None  # nothing cached yet
    sample_from_message(static, cache)
    dynamic["sourceId"] = static["sourceId"]
    later = sample_from_message(dynamic, cache)
    assert later.sensor_mm == (36.0, 24.0) and later.serial == "1234567890A"
    other = copy.deepcopy(dynamic)
    other["sourceId"] = "urn:uuid:00000000-0000-0000-0000-000000000000"
    assert sample_from_message(other, cache).sensor_mm is None


def test_static_cache_is_bounded():
    cache = SourceCache(max_sources=2)
    msg = {"static": {"camera": {"activeSensorPhysicalDimensions": {"width": 1.0, "height": 1.0}}},
           "transforms": [{"translation": {"x": 0.0, "y": 0.0, "z": 0.0},
                           "rotation": {"pan": 0.0, "tilt": 0.0, "roll": 0.0}}]}
    for i in range(5):
        sample_from_message(msg | {"sourceId": f"s{i}"}, cache)
    assert len(cache) == 2 and cache.get("s4") is not None and cache.get("s0") is None


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("reference_sender_json_seq1.bin", ENCODING_JSON), ("reference_sender_cbor_seq2.bin", ENCODING_CBOR)],
)
def test_reference_datagrams_decode_to_samples(packets, name, encoding):
    d = parse_datagram(packets[name])
    assert d.encoding == encoding
    s = sample_from_message(decode_payload(d.encoding, d.payload), SourceCache())
    assert s.source_camera_id.startswith("urn:uuid:")
    assert s.focal_length_mm == 24.305
    assert s.sample_rate_hz == pytest.approx(24000 / 1001)
    assert s.t_sample == pytest.approx(1795935841.44, abs=0.01)
    assert s.timecode is not None and s.timecode.startswith("07:04:01:")
    assert all(math.isfinite(v) for v in s.position_m + s.rotation_deg)


def test_decode_payload_errors():
    for enc, payload in ((ENCODING_JSON, b"{not json"), (ENCODING_JSON, b"[1, 2]"), (ENCODING_CBOR, b"\xff\x00"),
                         (ENCODING_JSON, b"\xff\xfe")):
        with pytest.raises(TrackingParseError) as info:
            decode_payload(enc, payload)
        assert info.value.reason == "bad_json"
    with pytest.raises(TrackingParseError) as info:
        decode_payload(7, b"{}")
    assert info.value.reason == "bad_type"


def _set(msg: dict, path: str, value) -> dict:
    msg = copy.deepcopy(msg)
    *parents, leaf = path.split(".")
    node = msg
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[leaf] = value
    return msg


@pytest.mark.parametrize(
    ("path", "value", "reason", "named"),
    [
        ("lens.pinholeFocalLength", 0.0, "schema", "lens.pinholeFocalLength"),
        ("lens.pinholeFocalLength", 6000.0, "limit", "lens.pinholeFocalLength"),
        ("lens.pinholeFocalLength", "24", "schema", "lens.pinholeFocalLength"),
        ("lens.pinholeFocalLength", float("nan"), "non_finite", "lens.pinholeFocalLength"),
        ("lens.encoders.zoom", 1.5, "schema", "lens.encoders.zoom"),
        ("lens.fStop", True, "schema", "lens.fStop"),
        ("transforms.0.translation.x", 1000.5, "limit", "transforms[0].translation.x"),
        ("transforms.0.translation.y", float("inf"), "non_finite", "transforms[0].translation.y"),
        ("transforms.0.rotation.pan", float("nan"), "non_finite", "transforms[0].rotation.pan"),
        ("transforms.0.rotation.tilt", None, "schema", "transforms[0].rotation.tilt"),
        ("transforms", [], "schema", "transforms"),
        ("timing.timecode.hours", 24, "schema", "timing.timecode.hours"),
        ("timing.sampleRate.denom", 0, "schema", "timing.sampleRate.denom"),
        ("timing.sampleTimestamp", {"seconds": -1, "nanoseconds": 0}, "schema", "timing.sampleTimestamp.seconds"),
        ("static", {"camera": {"activeSensorPhysicalDimensions": {"width": 36.0}}}, "schema",
         "static.camera.activeSensorPhysicalDimensions.height"),
        ("lens", [], "schema", "lens"),
    ],
)
def test_validation_names_the_json_path(examples, path, value, reason, named):
    msg = _set(examples["complete_dynamic_example"], path, value)
    with pytest.raises(TrackingParseError) as info:
        sample_from_message(msg, SourceCache())
    assert info.value.reason == reason
    assert named in str(info.value)


def test_composed_position_beyond_a_kilometre_is_rejected():
    far = [{"translation": {"x": 900.0, "y": 0.0, "z": 0.0}, "rotation": {"pan": 0.0, "tilt": 0.0, "roll": 0.0}}] * 2
    with pytest.raises(TrackingParseError) as info:
        compose_transforms(far)
    assert info.value.reason == "limit"


def test_source_falls_back_to_serial_or_number(examples):
    msg = copy.deepcopy(examples["complete_static_example"])
    del msg["sourceId"]
    assert sample_from_message(msg).source_camera_id == "1234567890A"
    dyn = copy.deepcopy(examples["recommended_dynamic_example"])
    del dyn["sourceId"]
    assert sample_from_message(dyn).source_camera_id == "sourceNumber:1"
    del dyn["sourceNumber"]
    assert sample_from_message(dyn, default_source="10.0.0.7:55555").source_camera_id == "10.0.0.7:55555"
