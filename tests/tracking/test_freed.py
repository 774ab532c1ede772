"""FreeD D1: reference vectors, round trips, rejections and vendor presets."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracking.errors import TrackingParseError
from tracking.freed import D1_LENGTH, FreeDPacket, d1_checksum, encode_d1, parse_d1, to_sample
from tracking.freed_presets import GENERIC, PRESETS, EncoderRange, get_preset


@pytest.fixture(scope="module")
def vectors(reference_data) -> dict:
    data = json.loads((reference_data / "freed" / "d1_test_vectors.json").read_text())
    return {k: v for k, v in data.items() if not k.startswith("_")}


def test_every_reference_vector_decodes_to_its_values(vectors):
    assert len(vectors) == 3
    for name, v in vectors.items():
        p = parse_d1(bytes.fromhex(v["hex"]))
        got = (p.pan_deg, p.tilt_deg, p.roll_deg, p.x_mm, p.y_mm, p.z_mm, p.zoom, p.focus, p.spare)
        want = (v["pan"], v["tilt"], v["roll"], v["x_mm"], v["y_mm"], v["z_mm"], v["zoom"], v["focus"],
                int(v["user"], 16))
        assert got == want, name  # exact: every value is a multiple of 1/32768 or 1/64
        data = bytes.fromhex(v["hex"])
        assert data[28] == d1_checksum(data[:28])
        if "checksum" in v:
            assert data[28] == int(v["checksum"], 16)


def test_reference_vectors_reencode_byte_exact(vectors):
    for v in vectors.values():
        data = bytes.fromhex(v["hex"])
        p = parse_d1(data)
        assert encode_d1(p.camera_id, p.pan_deg, p.tilt_deg, p.roll_deg, p.x_mm, p.y_mm, p.z_mm,
                         p.zoom, p.focus, p.spare) == data


def test_go_encoder_vector_camera_id_and_stage_mapping(vectors):
    p = parse_d1(bytes.fromhex(vectors["go_encoder_example"]["hex"]))
    assert p.camera_id == 255
    s = to_sample(p, GENERIC)
    assert s.source_camera_id == "255"
    assert s.position_m == pytest.approx((1.014328125, 2.532859375, 3.274109375))
    # FreeD pan +1.2578 (right) is stage pan −1.2578; tilt and roll unchanged
    assert s.rotation_deg == (-1.257781982421875, 12.21417236328125, 0.005340576171875)
    assert s.zoom_encoder == pytest.approx(534 / 0xFFFFFF)


def test_negative_pan_captured_vector_becomes_positive_stage_pan(vectors):
    s = to_sample(parse_d1(bytes.fromhex(vectors["captured_1"]["hex"])))
    assert s.rotation_deg[0] == pytest.approx(65.05731201171875)


s24_angle = st.integers(-(1 << 23), (1 << 23) - 1)


@given(
    cam=st.integers(0, 255), angles=st.tuples(s24_angle, s24_angle, s24_angle),
    pos=st.tuples(s24_angle, s24_angle, s24_angle), zoom=st.integers(0, (1 << 24) - 1),
    focus=st.integers(0, (1 << 24) - 1), spare=st.integers(0, 0xFFFF),
)
def test_round_trip_every_field_value(cam, angles, pos, zoom, focus, spare):
    deg = [a / 32768 for a in angles]
    mm = [p / 64 for p in pos]
    data = encode_d1(cam, *deg, *mm, zoom, focus, spare)
    assert len(data) == D1_LENGTH
    assert parse_d1(data) == FreeDPacket(cam, *deg, *mm, zoom, focus, spare)
    assert encode_d1(cam, *deg, *mm, zoom, focus, spare) == data


@given(st.binary(min_size=29, max_size=29))
def test_random_bytes_parse_or_raise_typed(data):
    try:
        p = parse_d1(data)
    except TrackingParseError as exc:
        assert exc.reason in {"bad_type", "bad_checksum"}
    else:
        assert encode_d1(p.camera_id, p.pan_deg, p.tilt_deg, p.roll_deg, p.x_mm, p.y_mm, p.z_mm,
                         p.zoom, p.focus, p.spare) == data


@given(st.floats(-255.0, 255.0), st.floats(-131000.0, 131000.0))
def test_quantisation_error_is_half_a_unit(angle, mm):
    p = parse_d1(encode_d1(1, angle, 0.0, 0.0, mm, 0.0, 0.0, 0, 0))
    assert abs(p.pan_deg - angle) <= 0.5 / 32768 + 1e-12
    assert abs(p.x_mm - mm) <= 0.5 / 64 + 1e-9


@pytest.mark.parametrize("length", [0, 1, 28, 30, 58])
def test_rejects_bad_length(length, vectors):
    data = (bytes.fromhex(vectors["captured_1"]["hex"]) * 3)[:length]
    with pytest.raises(TrackingParseError) as info:
        parse_d1(data)
    assert info.value.reason == "bad_length"
    assert str(length) in str(info.value)


def test_rejects_bad_type(vectors):
    data = bytearray(bytes.fromhex(vectors["captured_1"]["hex"]))
    data[0] = 0xD2
    data[28] = d1_checksum(bytes(data[:28]))  # checksum right, type wrong
    with pytest.raises(TrackingParseError) as info:
        parse_d1(bytes(data))
    assert info.value.reason == "bad_type"


@pytest.mark.parametrize("index", range(1, 29))
def test_rejects_any_corrupted_byte(index, vectors):
    data = bytearray(bytes.fromhex(vectors["go_encoder_example"]["hex"]))
    data[index] ^= 0x10
    with pytest.raises(TrackingParseError) as info:
        parse_d1(bytes(data))
    assert info.value.reason == "bad_checksum"


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [({"pan_deg": 256.0}, "bad_range"), ({"x_mm": 1e9}, "bad_range"), ({"zoom": 1 << 24}, "bad_range"),
     ({"camera_id": 256}, "bad_range"), ({"spare": -1}, "bad_range"), ({"tilt_deg": float("nan")}, "non_finite")],
)
def test_encode_rejects_values_that_do_not_fit(kwargs, reason):
    args = {"camera_id": 1, "pan_deg": 0.0, "tilt_deg": 0.0, "roll_deg": 0.0, "x_mm": 0.0, "y_mm": 0.0,
            "z_mm": 0.0, "zoom": 0, "focus": 0} | kwargs
    with pytest.raises(TrackingParseError) as info:
        encode_d1(**args)
    assert info.value.reason == reason


def test_presets_registry_and_docstrings():
    assert set(PRESETS) == {"generic", "sony", "panasonic", "stype", "mosys", "ncam", "zcam"}
    for name, preset in PRESETS.items():
        assert preset.name == name
        assert get_preset(name.upper()) is preset
        assert type(preset).__doc__ and "ource" in type(preset).__doc__  # each cites its source
        assert 0 < preset.default_port < 65536
        with pytest.raises(AttributeError):
            preset.name = "x"  # frozen
    with pytest.raises(KeyError, match="known"):
        get_preset("nope")


def _packet(zoom=0, focus=0, spare=0, pan=10.0):
    return parse_d1(encode_d1(7, pan, 5.0, 0.0, 1000.0, -2000.0, 64.0, zoom, focus, spare))


def test_panasonic_ranges_normalised_and_directions():
    pana = get_preset("panasonic")
    wide = to_sample(_packet(zoom=0x555, focus=0x555, spare=0x555), pana)
    tele = to_sample(_packet(zoom=0xFFF, focus=0xFFF, spare=0xFFF), pana)
    mid = to_sample(_packet(zoom=(0x555 + 0xFFF) // 2), pana)
    assert (wide.zoom_encoder, tele.zoom_encoder) == (0.0, 1.0)
    assert mid.zoom_encoder == pytest.approx(0.5, abs=1e-3)
    # focus 0x555 = near → OpenTrackIO 1 (closest); iris 0x555 = closed → 1
    assert (wide.focus_encoder, tele.focus_encoder) == (1.0, 0.0)
    assert (wide.iris_encoder, tele.iris_encoder) == (1.0, 0.0)
    assert to_sample(_packet(zoom=0x100), pana).zoom_encoder == 0.0  # below range clamps


def test_zcam_reads_physical_lens_values_and_sequence():
    # 950 = 9.50 mm; 12300 = 1230.0 mm; spare: seq 5 in bits 12-15, F2.8 = 280 in bits 0-11
    s = to_sample(_packet(zoom=950, focus=12300, spare=(5 << 12) | 280), get_preset("zcam"))
    assert s.focal_length_mm == pytest.approx(9.5)
    assert s.focus_m == pytest.approx(1.23)
    assert s.fstop == pytest.approx(2.8)
    assert s.sequence == 5
    assert s.zoom_encoder is None and s.iris_encoder is None


def test_sony_matches_unreal_live_link_freed_defaults():
    """Unreal Live Link FreeD (UE 5.8, ``unicorn2022/UE5.8.0``,
    ``Engine/Plugins/VirtualProduction/LiveLinkFreeD/Source/LiveLinkFreeD/Private/LiveLinkFreeDSource.cpp``):
    Sony zoom 0..0xFFFFFF, focus 0x7FFFFF (near) .. 0 (far) with a 24-bit mask, spare = F value × 100 in the
    lower 12 bits and the frame number in the upper 4."""
    sony = get_preset("sony")
    wide_far = to_sample(_packet(zoom=0, focus=0), sony)
    tele_near = to_sample(_packet(zoom=0xFFFFFF, focus=0x7FFFFF), sony)
    assert (wide_far.zoom_encoder, tele_near.zoom_encoder) == (0.0, 1.0)
    # OpenTrackIO: focus 0 = infinity, 1 = closest; Unreal's near end is 0x7FFFFF
    assert (wide_far.focus_encoder, tele_near.focus_encoder) == (0.0, 1.0)
    assert to_sample(_packet(focus=0x1000), sony).focus_encoder == pytest.approx(0x1000 / 0x7FFFFF)
    assert to_sample(_packet(zoom=0x7AC0), sony).zoom_encoder == pytest.approx(0x7AC0 / 0xFFFFFF)  # not 16-bit
    s = to_sample(_packet(spare=(9 << 12) | 560), sony)
    assert s.fstop == pytest.approx(5.6)
    assert s.sequence == 9
    assert s.iris_encoder is None


def test_default_ports_follow_unreals_table():
    """The table in Unreal's ``LiveLinkFreeDSource.cpp`` (UE 5.8): Generic 40000, Panasonic 1111, Sony 40000,
    Mosys 8001, Stype 6301, Ncam 6301 (Z CAM is not listed: Unreal's default)."""
    ports = {name: p.default_port for name, p in PRESETS.items()}
    assert ports == {"generic": 40000, "sony": 40000, "panasonic": 1111, "mosys": 8001, "stype": 6301,
                     "ncam": 6301, "zcam": 40000}


def test_generic_keeps_24_bits_and_takes_a_ptz_raw_range():
    """Vinten's D1 zoom/focus are 24-bit; a PTZ camera sending 0..16384 needs its raw range configured."""
    assert to_sample(_packet(zoom=16384)).zoom_encoder == pytest.approx(16384 / 0xFFFFFF)
    ptz = GENERIC.with_raw_ranges(zoom=(0, 16384), focus=(16384, 0))
    s = to_sample(_packet(zoom=8192, focus=4096), ptz)
    assert s.zoom_encoder == pytest.approx(0.5)
    assert s.focus_encoder == pytest.approx(0.75)
    assert GENERIC.zoom == EncoderRange(0, 0xFFFFFF)  # the preset itself is unchanged


def test_freed_source_port_defaults_to_the_presets(monkeypatch):
    from stage.core.config.sources import FreeDSource
    from tracking.sources import freed_input

    bound = []
    monkeypatch.setattr(freed_input, "open_udp", lambda host, port: bound.append(port))
    for preset in ("panasonic", "mosys", "stype", "generic"):
        freed_input.FreeDInput(FreeDSource(name="f", kind="freed", preset=preset))
    freed_input.FreeDInput(FreeDSource(name="f", kind="freed", preset="panasonic", port=7000))
    assert bound == [1111, 8001, 6301, 40000, 7000]
    with pytest.raises(ValueError, match="differ"):
        FreeDSource(name="f", kind="freed", zoom_range=(5, 5))


def test_generic_position_and_pan_sign():
    s = to_sample(_packet(pan=30.0))
    assert s.position_m == pytest.approx((1.0, -2.0, 0.064))
    assert s.rotation_deg == pytest.approx((-30.0, 5.0, 0.0))
    assert s.source_camera_id == "7"


def test_encoder_range_rejects_empty_range():
    with pytest.raises(ValueError):
        EncoderRange(5, 5)


@given(st.binary(min_size=28, max_size=28), st.sampled_from(sorted(PRESETS)))
def test_any_checksummed_packet_maps_to_a_sample_or_a_typed_error(body: bytes, preset: str) -> None:
    """Random bodies with a valid checksum (what any sender on the network can make) through every vendor preset:
    a finite sample or ``TrackingParseError``, nothing else (the daemon counts the reject by reason)."""
    data = bytes([0xD1]) + body[1:] + bytes([d1_checksum(bytes([0xD1]) + body[1:])])
    try:
        sample = to_sample(parse_d1(data), PRESETS[preset])
    except TrackingParseError:
        return
    assert all(math.isfinite(v) for v in (*sample.position_m, *sample.rotation_deg))


def test_the_ptz_example_in_the_docs_validates_and_reads_its_raw_range():
    """docs/tracking.md shows the config for a PTZ camera sending zoom 0..16384 on the generic preset."""
    import re
    from pathlib import Path

    import yaml

    from stage.core.config.cameras import Camera
    from stage.core.config.sources import FreeDSource
    from stage.core.lens import LensSolver

    text = (Path(__file__).resolve().parents[2] / "docs" / "tracking.md").read_text()
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "zoom_range" in b)
    doc = yaml.safe_load(block)
    source = FreeDSource.model_validate(doc["sources"][0])
    camera = Camera.model_validate(doc["cameras"][0])
    preset = get_preset(source.preset).with_raw_ranges(source.zoom_range, source.focus_range)
    tele = to_sample(_packet(zoom=16384), preset)
    assert LensSolver(camera.lens)(tele.zoom_encoder).focal_length_mm == pytest.approx(88.0)
