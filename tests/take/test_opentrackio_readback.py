"""Every sample of ``stage export --format opentrackio`` read back by a parser written to camdkit's rules.

The rules and where they were read are in tests/take/camdkit_rules.py (SMPTE/ris-osvp-metadata-camdkit:
``src/test/python/parser/opentrackio_lib.py``, ``src/test/python/parser/opentrackio_parser.py``,
``src/main/python/camdkit/transform_types.py``): the camera transform is found by an ``id`` containing ``Camera``,
and ``timing.sampleRate`` is needed for the sample time's timecode.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from stage.app.cli import main
from stage.core.export.opentrackio_export import take_rate, to_opentrackio
from stage.core.take import TakeHeader, TakeWriter
from stage.core.wire.pose import PoseMessage
from tests.take.camdkit_rules import CamdkitRulesReader, ReferenceParserError
from tests.take.helpers import T0, pose_body
from tests.take.schema_check import errors
from tracking.opentrackio.decode import sample_from_message

RATE_HZ = 60
N = 90


def _body(seq: int) -> dict:
    t = T0 + seq / RATE_HZ
    frames = seq % RATE_HZ
    return pose_body(
        "cam1", seq, position=(0.5 + seq * 0.01, -2.0, 1.5), ptr=(170.0 + seq, -5.0, 1.0 * (seq % 7)),
        t_sample=t, t_recv=t + 0.001, t_pub=t + 0.002, timecode=f"10:00:{seq // RATE_HZ:02d}:{frames:02d}",
        zoom_encoder=seq / N, focus_encoder=0.25 if seq % 2 else None, iris_encoder=None,
    )


@pytest.fixture
def take(tmp_path: Path) -> Path:
    path = tmp_path / "B002.take.jsonl"
    with TakeWriter(path, TakeHeader("B002", T0, None, ("cam1",))) as w:
        for seq in range(N):
            w.write(json.dumps(_body(seq)).encode())
    return path


@pytest.fixture(scope="module")
def schema(reference_data: Path) -> dict:
    return json.loads((reference_data / "opentrackio" / "schema.json").read_text())


def test_every_exported_sample_reads_back_completely(take: Path, tmp_path: Path, schema: dict) -> None:
    out = tmp_path / "B002.opentrackio.jsonl"
    assert main(["export", str(take), "--format", "opentrackio", "--out", str(out), "--quiet"]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == N
    for seq, line in enumerate(lines):
        sample = json.loads(line)
        assert errors(sample, schema) == []
        body = _body(seq)
        read = CamdkitRulesReader(sample).read_completely()
        assert read["protocol"] == ("OpenTrackIO", "1.0.1")
        assert read["position_m"] == tuple(body["position_m"])
        assert read["rotation_deg"] == tuple(body["rotation_deg"])
        assert read["rate_hz"] == RATE_HZ  # the take's rate
        assert read["timecode"] == body["timecode"]
        assert sample["timing"]["timecode"]["frameRate"] == {"num": RATE_HZ, "denom": 1}  # timecode at that rate
        assert read["t_sample"] == pytest.approx(body["t_sample"], abs=1e-9)
        frame = (15 + seq) % RATE_HZ  # T0 is .25 s past a second: frame 15 at 60 fps, then one per sample
        assert int(read["sample_timecode"][-2:]) in (frame, frame - 1)  # int() truncates a nanosecond short
        assert read["focus_m"] == body["focus_m"]
        encoders = CamdkitRulesReader(sample).lens_encoders()
        assert encoders == {k: v for k, v in (("focus", body["focus_encoder"]), ("zoom", body["zoom_encoder"]))
                            if v is not None}
        assert sample["static"]["camera"]["label"] == "cam1"  # the stage camera id
        ours = sample_from_message(sample)  # and our own receiver reads the same pose back
        assert ours.position_m == read["position_m"] and ours.zoom_encoder == body["zoom_encoder"]


def test_the_reader_refuses_what_the_reference_parser_cannot_read(take: Path) -> None:
    """The rules have teeth: the export as it was (camera id as the transform id, no sampleRate) fails them."""
    sample = json.loads(to_opentrackio([PoseMessage.model_validate(_body(0))]))
    sample["transforms"][0]["id"] = "cam1"
    with pytest.raises(ReferenceParserError, match="Camera"):
        CamdkitRulesReader(sample).read_completely()
    sample["transforms"][0]["id"] = "Camera"
    del sample["timing"]["sampleRate"]
    with pytest.raises(ReferenceParserError, match="sampleRate"):
        CamdkitRulesReader(sample).read_completely()
    with pytest.raises(ReferenceParserError, match="sampleRate"):
        CamdkitRulesReader(sample).sample_time_as_timecode()
    del sample["lens"]["encoders"]
    with pytest.raises(ReferenceParserError, match="encoder"):
        CamdkitRulesReader(sample).lens_encoders()


def test_the_reader_reads_the_official_examples(reference_data: Path) -> None:
    """Checked against the official complete example: its camera is the third link, ``id: "Camera"``."""
    example = json.loads((reference_data / "opentrackio" / "examples" / "complete_dynamic_example.json").read_text())
    read = CamdkitRulesReader(example).read_completely()
    assert read["position_m"] == (1.0, 2.0, 3.0) and read["rate_hz"] == 24.0
    assert read["sample_timecode"].endswith(":12")  # 0.5 s at 24 fps


@pytest.mark.parametrize(
    ("spacing_s", "expected"),
    [(1 / 24, Fraction(24)), (1001 / 30000, Fraction(30000, 1001)), (1 / 59.94, Fraction(60000, 1001)),
     (1 / 60, Fraction(60)), (1 / 37.5, Fraction(75, 2))],
)
def test_take_rate_is_measured_and_snapped(spacing_s: float, expected: Fraction) -> None:
    samples = [PoseMessage.model_validate(pose_body(seq=i, t_sample=T0 + i * spacing_s)) for i in range(10)]
    assert take_rate(samples) == expected
    assert take_rate(samples[:1]) is None
    single = json.loads(to_opentrackio(samples[:1]))
    assert single["timing"]["sampleRate"] == {"num": 24, "denom": 1}  # not measurable: 24


def test_fps_sets_the_timecode_rate_not_the_sample_rate(take: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(take), "--format", "opentrackio", "--fps", "120", "--quiet"]) == 0
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert first["timing"]["sampleRate"] == {"num": 60, "denom": 1}
    assert first["timing"]["timecode"]["frameRate"] == {"num": 120, "denom": 1}
