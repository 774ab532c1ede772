"""Exports of a small synthetic take, against numbers worked out by hand."""

from __future__ import annotations

import csv
import io
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from stage.app.cli import main
from stage.core.export import ExportError
from stage.core.export.chan import NUKE_FROM_STAGE, euler_zxy_from_matrix, nuke_camera, to_chan
from stage.core.export.csv_export import CSV_COLUMNS, to_csv
from stage.core.export.opentrackio_export import opentrackio_sample, parse_rate, ptp_timestamp, to_opentrackio
from stage.core.pose import STAGE_FROM_GL_CAMERA_AXES, Pose, rot_x, rot_y, rot_z
from stage.core.take import TakeHeader, TakeWriter
from stage.core.wire.pose import PoseMessage
from tests.take.helpers import T0, pose_body
from tests.take.schema_check import ANNOTATIONS, CHECKED, errors

VFOV_24_14 = math.degrees(2 * math.atan(7.0 / 24.0))  # 32.5204...°: 14 mm sensor height at 24 mm


def sample(**kw: object) -> PoseMessage:
    return PoseMessage.model_validate(pose_body(**kw))


def nuke_matrix(rx: float, ry: float, rz: float) -> np.ndarray:
    """Nuke's ZXY rotation order: Z first, then X, then Y (column vectors)."""
    return rot_y(ry) @ rot_x(rx) @ rot_z(rz)


# --- Nuke .chan ---------------------------------------------------------------------------------------------

def test_axis_change_written_out() -> None:
    # stage X right -> Nuke X; stage Z up -> Nuke Y up; stage Y forward -> Nuke -Z (Nuke cameras look down -Z)
    assert np.allclose(NUKE_FROM_STAGE @ [1, 0, 0], [1, 0, 0])
    assert np.allclose(NUKE_FROM_STAGE @ [0, 0, 1], [0, 1, 0])
    assert np.allclose(NUKE_FROM_STAGE @ [0, 1, 0], [0, 0, -1])
    assert np.isclose(np.linalg.det(NUKE_FROM_STAGE), 1.0)  # a rotation: handedness kept


def test_camera_at_123_panned_90() -> None:
    cam = nuke_camera(sample(position=(1.0, 2.0, 3.0), ptr=(90.0, 0.0, 0.0)))
    assert np.allclose(cam.translate, (1.0, 3.0, -2.0))
    assert np.allclose(cam.rotate_deg, (0.0, 90.0, 0.0))
    # The stage camera looks along stage -X; Nuke's camera with ry = 90 looks along Nuke -X (the same direction,
    # since the axis change keeps X): Ry(90) @ (0, 0, -1) = (-1, 0, 0).
    assert np.allclose(nuke_matrix(*cam.rotate_deg) @ [0, 0, -1], [-1, 0, 0])
    assert cam.vfov_deg == pytest.approx(VFOV_24_14)
    line = to_chan([sample(position=(1.0, 2.0, 3.0), ptr=(90.0, 0.0, 0.0))])
    assert line == "1 1 3 -2 0 90 0 32.520409\n"


@pytest.mark.parametrize(("ptr", "nuke"), [
    ((0.0, 30.0, 0.0), (30.0, 0.0, 0.0)),  # tilt up = Nuke rx up (camera -Z towards +Y)
    ((0.0, 0.0, 10.0), (0.0, 0.0, -10.0)),  # stage roll is clockwise from behind; Nuke rz is counter-clockwise
    ((-45.0, 0.0, 0.0), (0.0, -45.0, 0.0)),  # pan right
    ((37.0, -20.0, 15.0), (-20.0, 37.0, -15.0)),
])
def test_rotation_cases(ptr: tuple[float, float, float], nuke: tuple[float, float, float]) -> None:
    assert np.allclose(nuke_camera(sample(ptr=ptr)).rotate_deg, nuke)


def test_tilt_up_looks_up_in_nuke() -> None:
    rx, ry, rz = nuke_camera(sample(ptr=(0.0, 30.0, 0.0))).rotate_deg
    forward = nuke_matrix(rx, ry, rz) @ [0, 0, -1]
    assert np.allclose(forward, [0, math.sin(math.radians(30)), -math.cos(math.radians(30))])


def test_random_poses_give_the_same_camera_matrix() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        ptr = (float(rng.uniform(-180, 180)), float(rng.uniform(-89, 89)), float(rng.uniform(-180, 180)))
        s = sample(ptr=ptr)
        expected = NUKE_FROM_STAGE @ Pose((0, 0, 0), ptr).rotation @ STAGE_FROM_GL_CAMERA_AXES
        assert np.allclose(nuke_matrix(*nuke_camera(s).rotate_deg), expected, atol=1e-9)


def test_gimbal_lock_still_gives_the_matrix() -> None:
    m = nuke_matrix(90.0, 30.0, 0.0)
    assert np.allclose(nuke_matrix(*euler_zxy_from_matrix(m)), m)


def test_entrance_pupil_moves_the_nuke_camera_forward() -> None:
    s = sample(position=(1.0, 2.0, 3.0), ptr=(90.0, 0.0, 0.0), entrance_pupil_m=0.1)
    assert np.allclose(nuke_camera(s).translate, (0.9, 3.0, -2.0))  # 0.1 m along stage -X
    assert np.allclose(nuke_camera(s, at_entrance_pupil=False).translate, (1.0, 3.0, -2.0))


def test_chan_unwraps_angles_and_numbers_frames() -> None:
    text = to_chan([sample(seq=0, ptr=(179.0, 0.0, 0.0)), sample(seq=1, ptr=(-179.0, 0.0, 0.0))], start_frame=1001)
    rows = [line.split() for line in text.splitlines()]
    assert [r[0] for r in rows] == ["1001", "1002"]
    assert [float(r[5]) for r in rows] == pytest.approx([179.0, 181.0])


# --- CSV --------------------------------------------------------------------------------------------------

def test_csv_columns_and_values() -> None:
    rows = list(csv.reader(io.StringIO(to_csv([sample(seq=3), sample(seq=4, focus_m=None, fstop=None,
                                                                     timecode=None, stale=True)]))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0][:2] == ["t_sample", "timecode"]
    first = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert float(first["t_sample"]) == T0 + 3 / 60
    assert first["timecode"] == "01:02:03:04" and first["camera"] == "cam1" and first["seq"] == "3"
    assert [float(first[k]) for k in ("x_m", "y_m", "z_m", "pan_deg", "tilt_deg", "roll_deg")] == [1, 2, 3, 90, 0, 0]
    assert (first["focal_length_mm"], first["focus_m"], first["fstop"], first["stale"]) == ("24.0", "3.5", "2.8", "0")
    second = dict(zip(CSV_COLUMNS, rows[2], strict=True))
    assert (second["timecode"], second["focus_m"], second["fstop"], second["stale"]) == ("", "", "", "1")


# --- OpenTrackIO ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def schema(reference_data: Path) -> dict:
    return json.loads((reference_data / "opentrackio" / "schema.json").read_text())


def _keywords(node: object, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "properties":
                found.add(key)
            _keywords(value if key != "properties" else list(value.values()), found)
    elif isinstance(node, list):
        for item in node:
            _keywords(item, found)
    return found


def test_schema_checker_knows_every_keyword_and_accepts_the_examples(schema: dict, reference_data: Path) -> None:
    assert _keywords(schema, set()) - ANNOTATIONS - CHECKED - {"properties"} == set()
    for example in sorted((reference_data / "opentrackio" / "examples").glob("*.json")):
        assert errors(json.loads(example.read_text()), schema) == [], example.name
    assert errors({"lens": {"fStop": 0}, "protocol": {"name": "x"}}, schema) == [
        "$.lens.fStop: 0 <= exclusiveMinimum 0.0", "$.protocol: missing required 'version'"]


def test_opentrackio_sample_hand_checked(schema: dict) -> None:
    out = opentrackio_sample(sample(seq=0))
    assert errors(out, schema) == []
    assert out["protocol"] == {"name": "OpenTrackIO", "version": [1, 0, 1]}
    assert out["transforms"] == [{"translation": {"x": 1.0, "y": 2.0, "z": 3.0},
                                  "rotation": {"pan": 90.0, "tilt": 0.0, "roll": 0.0}, "id": "Camera"}]
    assert out["static"]["camera"]["label"] == "cam1"  # the stage camera id
    assert out["lens"] == {"pinholeFocalLength": 24.0, "entrancePupilOffset": 0.0, "focusDistance": 3.5,
                           "fStop": 2.8}
    assert out["timing"]["sampleTimestamp"] == {"seconds": 1767225600, "nanoseconds": 250_000_000}
    assert out["timing"]["sampleRate"] == {"num": 24, "denom": 1}
    assert "encoders" not in out["lens"]  # the sample has none
    assert out["timing"]["timecode"] == {"hours": 1, "minutes": 2, "seconds": 3, "frames": 4,
                                         "frameRate": {"num": 24, "denom": 1}, "dropFrame": False}
    assert out["static"]["camera"]["activeSensorPhysicalDimensions"] == {"width": 24.89, "height": 14.0}
    assert out == opentrackio_sample(sample(seq=0))  # deterministic ids
    assert out["sampleId"] != opentrackio_sample(sample(seq=1))["sampleId"]


def test_opentrackio_optional_fields_and_rates(schema: dict) -> None:
    out = opentrackio_sample(sample(focus_m=None, fstop=None, timecode="10:00:00;29", stale=True),
                             parse_rate("30000/1001"))
    assert errors(out, schema) == []
    assert "focusDistance" not in out["lens"] and "fStop" not in out["lens"]
    assert out["timing"]["timecode"]["frameRate"] == {"num": 30000, "denom": 1001}
    assert out["timing"]["timecode"]["dropFrame"] is True and out["tracker"]["status"] == "stale"
    assert "timecode" not in opentrackio_sample(sample(timecode=None))["timing"]
    assert parse_rate("29.97") == Fraction(30000, 1001) and parse_rate("25") == 25
    with pytest.raises(ExportError, match="not valid at 24 fps"):
        opentrackio_sample(sample(timecode="01:00:00:29"))
    with pytest.raises(ExportError, match="frame rate"):
        parse_rate("fast")
    assert ptp_timestamp(1.9999999999) == {"seconds": 2, "nanoseconds": 0}
    lines = to_opentrackio([sample(seq=0), sample(seq=1)]).splitlines()
    assert [json.loads(line)["timing"]["sequenceNumber"] for line in lines] == [0, 1]


# --- the command ------------------------------------------------------------------------------------------

@pytest.fixture
def two_camera_take(tmp_path: Path) -> Path:
    path = tmp_path / "A001.take.jsonl"
    with TakeWriter(path, TakeHeader("A001", T0, None, ("cam1", "cam2"))) as w:
        for seq in range(3):
            w.write(json.dumps(pose_body("cam1", seq)).encode())
            w.write(json.dumps(pose_body("cam2", seq, position=(0.0, 0.0, 1.5), ptr=(0.0, 0.0, 0.0))).encode())
    return path


def test_export_needs_a_camera_choice(two_camera_take: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(two_camera_take), "--format", "csv"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cam1, cam2" in err
    assert main(["export", str(two_camera_take), "--format", "csv", "--camera", "cam9"]) == 2
    assert "cam9" in capsys.readouterr().err


def test_export_chan_to_file(two_camera_take: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cam2.chan"
    assert main(["export", str(two_camera_take), "--format", "chan", "--camera", "cam2", "--per-sample", "--out",
                 str(out)]) == 0
    assert out.read_text().splitlines() == [f"{f} 0 1.5 0 0 0 0 32.520409" for f in (1, 2, 3)]
    assert "exported 3 samples of cam2" in capsys.readouterr().err


def test_export_to_stdout(two_camera_take: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(two_camera_take), "--format", "opentrackio", "--camera", "cam1", "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["transforms"][0]["translation"] for line in lines] == [{"x": 1.0, "y": 2.0, "z": 3.0}] * 3


def test_export_bad_input_is_one_line(tmp_path: Path, two_camera_take: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.take.jsonl"
    lines = two_camera_take.read_bytes().splitlines(keepends=True)
    bad.write_bytes(b"".join([*lines[:2], b'{"v": 1}\n', *lines[2:]]))
    assert main(["export", str(bad), "--format", "csv", "--camera", "cam1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"export: {bad}:3: ") and err.count("\n") == 1
    assert main(["export", str(tmp_path / "missing.take.jsonl"), "--format", "csv"]) == 2
    assert main(["export", str(two_camera_take), "--format", "opentrackio", "--camera", "cam1", "--fps", "x"]) == 2
    assert "frame rate 'x'" in capsys.readouterr().err
