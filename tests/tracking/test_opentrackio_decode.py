"""OpenTrackIO payload decoding and sample extraction: examples, reference packets, validation."""

from __future__ import annotations

import copy
import json
import math

import cbor2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.take.schema_check import errors
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


# --- every schema-valid message is accepted ------------------------------------------------------------------

def _pose_only(transforms: list) -> dict:
    return {"sourceId": "urn:uuid:00000000-0000-0000-0000-00000000000a", "transforms": transforms}


def test_lens_only_and_static_only_messages_update_state(examples):
    """Messages without ``transforms`` yield no sample but are remembered per source for the next pose."""
    cache = SourceCache()
    source = {"sourceId": "urn:uuid:00000000-0000-0000-0000-00000000000b"}
    lens_only = source | {"lens": {"pinholeFocalLength": 50.0, "fStop": 2.8, "encoders": {"zoom": 0.25}}}
    static_only = source | {"static": {"camera": {"activeSensorPhysicalDimensions": {"width": 27.99, "height": 19.22},
                                                 "serialNumber": "CAM-7"}}}
    assert sample_from_message(lens_only, cache) is None
    assert sample_from_message(static_only, cache) is None
    assert sample_from_message(source, cache) is None  # an empty message is schema-valid too
    pose = source | {"transforms": [{"translation": {"x": 1.0}, "rotation": {"pan": 10.0}}],
                     "lens": {"focusDistance": 3.0}}
    s = sample_from_message(pose, cache)
    assert s.position_m == (1.0, 0.0, 0.0) and s.rotation_deg == (10.0, 0.0, 0.0)
    assert (s.focal_length_mm, s.fstop, s.zoom_encoder, s.focus_m) == (50.0, 2.8, 0.25, 3.0)
    assert s.sensor_mm == (27.99, 19.22) and s.serial == "CAM-7"
    newer = sample_from_message(source | {"lens": {"pinholeFocalLength": 85.0}}, cache)
    assert newer is None and cache.lens(source["sourceId"])[3] == 85.0  # the newest value wins, the rest stays
    assert sample_from_message(pose, cache).focal_length_mm == 85.0
    assert sample_from_message(pose).focal_length_mm is None  # without a cache nothing is remembered


def test_missing_components_are_zero_and_scale_one():
    """The schema requires no component of translation, rotation or scale (camdkit's Vector3/Rotator3 make each
    optional): translation and rotation default to 0, scale to 1."""
    position, rotation = compose_transforms([{"translation": {"x": 1.0, "y": 2.0}, "rotation": {"tilt": 5.0}}])
    assert position == (1.0, 2.0, 0.0) and rotation == (0.0, 5.0, 0.0)
    scaled = [{"translation": {}, "rotation": {}, "scale": {"x": 2.0}},
              {"translation": {"x": 1.0, "y": 1.0, "z": 1.0}, "rotation": {}}]
    assert compose_transforms(scaled)[0] == pytest.approx((2.0, 1.0, 1.0))


@pytest.mark.parametrize(
    ("angles", "expected"),
    [
        ({"pan": 7230.0, "tilt": -3610.0, "roll": 540.0}, (30.0, -10.0, 180.0)),
        ({"pan": 360 * 10**40 + 45, "tilt": -(360 * 10**30) - 20, "roll": 3600}, (45.0, -20.0, 0.0)),  # exact ints
        ({"pan": -180.0, "tilt": 180.0, "roll": 1e6}, (180.0, 180.0, 1e6 % 360 - 360)),
    ],
)
def test_whole_cycles_are_wrapped_not_refused(angles, expected):
    """Schema text: Euler angles "provide the ability for cycles (with angles >360 or <0 degrees)"."""
    _, rotation = compose_transforms([{"translation": {}, "rotation": angles}])
    assert rotation == pytest.approx(expected)


def test_scale_is_applied_as_the_spec_text_says():
    """Schema text on ``transforms``: "Transforms are composed in sequential order, starting with the first transform
    in the list and concluding with the last transform in the list. The compound transform contains the position
    (in meters) and orientation (in degrees) of the camera sensor relative to stage origin."

    So a link's scale acts on what comes after it in the chain (the child frames' translations), never on the link's
    own translation, and the compound's orientation stays a rotation: the last link's scale changes nothing."""
    arm = {"translation": {"x": 1.0, "y": 0.0, "z": 2.0}, "rotation": {"pan": 90.0},
           "scale": {"x": 2.0, "y": 3.0, "z": 4.0}, "id": "Crane Arm"}
    camera = {"translation": {"x": 0.0, "y": 1.0, "z": 0.5}, "rotation": {"tilt": 10.0}, "id": "Camera"}
    position, rotation = compose_transforms([arm, camera])
    # the arm scales the camera's offset in the arm frame to (0, 3, 2), then pan 90 turns it to (−3, 0, 2); + (1, 0, 2)
    assert position == pytest.approx((-2.0, 0.0, 4.0))
    assert rotation == pytest.approx((90.0, 10.0, 0.0))  # scales along the arm's own axes: rotation unchanged
    alone = compose_transforms([arm])
    assert alone == (pytest.approx((1.0, 0.0, 2.0)), pytest.approx((90.0, 0.0, 0.0)))  # own scale: no effect
    last_scaled = compose_transforms([arm, camera | {"scale": {"x": 5.0, "y": 5.0, "z": 5.0}}])
    assert last_scaled[0] == pytest.approx(position) and last_scaled[1] == pytest.approx(rotation)


@pytest.mark.parametrize(
    ("path", "value", "named", "relaxed"),
    [
        ("transforms.2.translation.x", 1500.0, "transforms[2].translation.x", {"max_position_m": 1e5}),
        ("lens.entrancePupilOffset", -12.0, "lens.entrancePupilOffset", {"max_entrance_pupil_m": 20.0}),
        ("lens.fStop", 1200.0, "lens.fStop", {"max_fstop": 2000.0}),
        ("lens.pinholeFocalLength", 5200.0, "lens.pinholeFocalLength", {"max_focal_length_mm": 6000.0}),
        ("static.camera.activeSensorPhysicalDimensions.width", 1500.0,
         "static.camera.activeSensorPhysicalDimensions.width", {"max_sensor_mm": 2000.0}),
    ],
)
def test_limits_beyond_the_schema_are_their_own_reason_and_configurable(examples, path, value, named, relaxed):
    from stage.core.config.sources import OpenTrackIOLimits

    msg = _set(examples["complete_static_example"], path, value)
    if path.startswith("transforms"):
        msg["transforms"] = msg["transforms"][2:]  # one link, so the composed position is the value itself
        path, named = path.replace(".2.", ".0."), named.replace("[2]", "[0]")
        msg = _set(msg, path, value)
    with pytest.raises(TrackingParseError) as info:
        sample_from_message(msg, SourceCache())
    assert info.value.reason == "limit" and named in str(info.value)
    assert sample_from_message(msg, SourceCache(), OpenTrackIOLimits(**relaxed)) is not None


def test_zero_sensor_is_a_limit_not_a_crash(examples):
    msg = _set(examples["complete_static_example"], "static.camera.activeSensorPhysicalDimensions.height", 0.0)
    with pytest.raises(TrackingParseError) as info:
        sample_from_message(msg)
    assert info.value.reason == "limit"


# --- hostile payloads: always one typed error ------------------------------------------------------------------

def _cbor_with(path: str, raw_value: bytes) -> bytes:
    """The CBOR encoding of a valid one-transform message with ``raw_value`` (CBOR bytes) at ``path``."""
    marker = "\x00MARK\x00"
    msg = _pose_only([{"translation": {"x": 0.0, "y": 0.0, "z": 0.0}, "rotation": {"pan": 0.0, "tilt": 0.0,
                                                                              "roll": 0.0}}])
    msg = _set(msg | {"timing": {"sequenceNumber": 1}}, path, marker)
    return cbor2.dumps(msg).replace(cbor2.dumps(marker), raw_value)


BIGNUM = cbor2.dumps(10**400)  # CBOR tag 2 (unsigned bignum)
HOSTILE_CBOR = [
    ("transforms.0.translation.x", BIGNUM, "limit"),
    ("transforms.0.translation.x", cbor2.dumps(-(10**400)), "limit"),  # tag 3 (negative bignum)
    ("transforms.0.translation.y", b"\xfb\x7f\xf8\x00\x00\x00\x00\x00\x00", "non_finite"),  # NaN
    ("transforms.0.translation.z", b"\xf9\x7c\x00", "non_finite"),  # half-precision +inf
    ("transforms.0.rotation.pan", b"\xfb\xff\xf0\x00\x00\x00\x00\x00\x00", "non_finite"),  # -inf
    ("transforms.0.translation.x", b"\xc4\x82\x21\x19\x6a\xb3", "schema"),  # tag 4 decimal fraction 273.15
    ("transforms.0.translation.x", b"\xd9\x04\xd2\x01", "schema"),  # unknown tag 1234 around 1
    ("transforms.0.translation.x", b"\xc1\x1a\x51\x4b\x67\xb0", "schema"),  # tag 1 epoch datetime
    ("transforms.0.translation.x", b"\xf7", "schema"),  # undefined
    ("transforms.0.translation.x", b"\x43abc", "schema"),  # a byte string
    ("timing.sequenceNumber", BIGNUM, "schema"),
    ("transforms.0.scale", cbor2.dumps({"x": 10**400}), "limit"),
    ("transforms.0.scale", cbor2.dumps({"x": 1e300, "y": 1e300, "z": 1e300}), None),  # one link: scale unused
    ("lens", cbor2.dumps({"focusDistance": 10**400}), "limit"),
    ("lens", cbor2.dumps({"fStop": -(10**30)}), "schema"),
    ("static", cbor2.dumps({"camera": {"activeSensorPhysicalDimensions": {"width": 10**400, "height": 1}}}), "limit"),
    ("transforms.0.rotation.pan", BIGNUM, None),  # whole cycles: an integer of any size is wrapped exactly
    ("transforms", b"\x81" * 300 + b"\x00", "schema"),  # nested deep, but within cbor2's limit
    ("transforms", b"\x81" * 1000 + b"\x00", "bad_json"),  # beyond cbor2's nesting limit
]


@pytest.mark.parametrize(("path", "raw", "reason"), HOSTILE_CBOR)
def test_hostile_cbor_ends_in_one_typed_reject(path, raw, reason):
    payload = _cbor_with(path, raw)
    assert raw in payload
    try:
        result = sample_from_message(decode_payload(ENCODING_CBOR, payload), SourceCache())
    except TrackingParseError as exc:
        assert exc.reason == reason, str(exc)
        assert len(str(exc)) < 300  # a bignum is never printed in full
    else:
        assert reason is None and all(math.isfinite(v) for v in result.position_m + result.rotation_deg)


def test_chain_length_and_overflow_are_limits():
    link = {"translation": {"x": 100.0}, "rotation": {}, "scale": {"x": 1e200, "y": 1e200, "z": 1e200}}
    with pytest.raises(TrackingParseError) as info:
        compose_transforms([link] * 3)  # 1e400 overflows to inf
    assert info.value.reason == "limit"
    with pytest.raises(TrackingParseError) as info:
        compose_transforms([{"translation": {}, "rotation": {}}] * 1000)
    assert info.value.reason == "limit"


# --- property: the schema decides what is accepted ---------------------------------------------------------------

def _numbers(lo: float | None = None, hi: float | None = None) -> st.SearchStrategy:
    return st.one_of(st.floats(lo, hi, allow_nan=False, allow_infinity=False),
                     st.integers(None if lo is None else math.ceil(lo), None if hi is None else math.floor(hi)))


def _optional_keys(**fields: st.SearchStrategy) -> st.SearchStrategy:
    return st.fixed_dictionaries({}, optional=fields)


_TRANSFORM = st.fixed_dictionaries(
    {"translation": _optional_keys(x=_numbers(-2000, 2000), y=_numbers(-2000, 2000), z=_numbers(-2000, 2000)),
     "rotation": _optional_keys(pan=_numbers(), tilt=_numbers(), roll=_numbers())},
    optional={"scale": _optional_keys(x=_numbers(0.01, 100), y=_numbers(0.01, 100), z=_numbers(0.01, 100)),
              "id": st.sampled_from(["Camera", "Dolly", "Crane Arm"])},
)
_MESSAGE = _optional_keys(
    sourceId=st.just("urn:uuid:00000000-0000-0000-0000-00000000000c"),
    sourceNumber=st.integers(0, 0xFFFFFFFF),
    transforms=st.lists(_TRANSFORM, min_size=1, max_size=4),
    lens=_optional_keys(pinholeFocalLength=_numbers(1e-3, 1e4), focusDistance=_numbers(1e-3, 1e9),
                        entrancePupilOffset=_numbers(-100, 100), fStop=_numbers(1e-3, 2e3),
                        encoders=_optional_keys(zoom=_numbers(0, 1), focus=_numbers(0, 1), iris=_numbers(0, 1))),
    timing=_optional_keys(sequenceNumber=st.integers(0, 0xFFFFFFFF),
                          sampleRate=st.fixed_dictionaries({"num": st.integers(1, 0x7FFFFFFF),
                                                            "denom": st.integers(1, 0xFFFFFFFF)}),
                          sampleTimestamp=st.fixed_dictionaries({"seconds": st.integers(0, (1 << 48) - 1),
                                                                 "nanoseconds": st.integers(0, 0xFFFFFFFF)})),
    static=_optional_keys(camera=_optional_keys(activeSensorPhysicalDimensions=st.fixed_dictionaries(
        {"width": _numbers(0, 2000), "height": _numbers(0, 2000)}))),
)


@pytest.fixture(scope="module")
def schema(reference_data) -> dict:
    return json.loads((reference_data / "opentrackio" / "schema.json").read_text())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(msg=_MESSAGE)
def test_every_schema_valid_message_is_accepted_or_over_a_limit(schema, msg):
    """Generated messages over the fields we read (components missing, ints, any angle, up to four links); the
    ones the schema accepts (checked with tests/take/schema_check.py) give a sample, ``None`` (no ``transforms``)
    or a ``limit`` reject, never a ``schema`` one — in JSON and in CBOR."""
    if errors(msg, schema):
        return
    for encoding, payload in ((ENCODING_JSON, json.dumps(msg).encode()), (ENCODING_CBOR, cbor2.dumps(msg))):
        try:
            result = sample_from_message(decode_payload(encoding, payload), SourceCache())
        except TrackingParseError as exc:
            assert exc.reason == "limit", str(exc)
            continue
        assert (result is None) == ("transforms" not in msg)
