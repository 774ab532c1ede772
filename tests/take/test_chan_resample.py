"""Nuke .chan at the plate rate: 60 Hz tracking resampled to 24 fps frames, orientation by slerp, frame numbers from
--start-frame or the take's timecode, and the aperture hint from the camera's sensor."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from stage.app.cli import main
from stage.core.export import ExportError
from stage.core.export.resample import resample, timecode_frame_count
from stage.core.pose import Pose, rotation_from_ptr
from stage.core.quaternion import matrix_from_quaternion, quaternion_from_matrix, slerp
from stage.core.take import TakeHeader, TakeWriter
from stage.core.wire.pose import PoseMessage
from tests.take.helpers import T0, pose_body


def dolly(n: int, rate_hz: float = 60.0, **kw: object) -> list[PoseMessage]:
    """A camera trucking along X at 1 m/s while panning 30°/s, sampled at ``rate_hz``."""
    out = []
    for i in range(n):
        t = i / rate_hz
        body = pose_body(seq=i, position=(t, 2.0, 1.5), ptr=(30.0 * t, 5.0, 0.0), **kw)
        body["t_sample"] = T0 + t
        out.append(PoseMessage.model_validate(body))
    return out


def test_quaternions_round_trip_and_slerp_halfway() -> None:
    rng = np.random.default_rng(3)
    for _ in range(100):
        r = rotation_from_ptr(*rng.uniform(-180, 180, 3) * [1, 0.49, 1])
        assert np.allclose(matrix_from_quaternion(quaternion_from_matrix(r)), r, atol=1e-12)
    # Halfway between pan 170° and pan −170° is pan 180° (the short way), not pan 0°.
    a, b = (quaternion_from_matrix(rotation_from_ptr(pan, 0, 0)) for pan in (170, -170))
    q = slerp(a, b, 0.5)
    assert np.allclose(matrix_from_quaternion(q), rotation_from_ptr(180, 0, 0), atol=1e-12)


def test_60hz_take_resampled_to_24fps_lands_on_the_true_path() -> None:
    samples = dolly(61)  # one second
    frames = resample(samples, Fraction(24), first_frame=1001)
    assert [n for n, _ in frames] == list(range(1001, 1025 + 1))  # 0 s .. 1 s inclusive: 25 frames
    for n, pose in frames:
        t = (n - 1001) / 24.0
        assert pose.t_sample == pytest.approx(T0 + t)
        # Epoch-second timestamps carry ~0.2 µs of float64 resolution: 0.2 µm at 1 m/s.
        assert pose.position_m == pytest.approx((t, 2.0, 1.5), abs=1e-6)
        # Pan is linear in time; slerp between samples 1/60 s apart is exact to well under a millidegree.
        assert pose.rotation_deg == pytest.approx((30.0 * t, 5.0, 0.0), abs=1e-3)
        expected = Pose((t, 2.0, 1.5), (30.0 * t, 5.0, 0.0)).world_from_camera()
        assert np.allclose(pose.world_from_camera, expected, atol=1e-5)


def test_frames_by_timecode_match_the_plate_numbers() -> None:
    samples = dolly(31)  # half a second
    # The first sample carries 01:00:00:12 at 24 fps → frame 86412; its time fixes the grid.
    samples[0] = samples[0].model_copy(update={"timecode": "01:00:00:12"})
    frames = resample(samples, Fraction(24), first_frame=None)
    assert frames[0][0] == 86412 and frames[-1][0] == 86424
    assert frames[0][1].t_sample == pytest.approx(T0)
    assert timecode_frame_count("00:00:01:00", Fraction(30000, 1001)) == 30  # NTSC timecode counts at 30
    with pytest.raises(ExportError, match="out of range at 24 fps"):
        timecode_frame_count("00:00:00:24", Fraction(24))
    with pytest.raises(ExportError, match="no sample carries a timecode"):
        resample([s.model_copy(update={"timecode": None}) for s in samples], Fraction(24), first_frame=None)


def test_export_chan_at_24fps_from_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    take = tmp_path / "dolly.take.jsonl"
    with TakeWriter(take, TakeHeader("dolly", T0, None, ("cam1",))) as writer:
        for s in dolly(121):  # two seconds at 60 Hz
            writer.write(s.model_dump_json().encode())
    out = tmp_path / "A.chan"
    assert main(["export", str(take), "--format", "chan", "--fps", "24", "--start-frame", "1001", "--out",
                 str(out)]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 49 and lines[0].split()[0] == "1001" and lines[-1].split()[0] == "1049"
    # Frame 1013 is t = 0.5 s: x = 0.5 m (entrance pupil 0), pan 15° → Nuke ry = 15.
    cols = [float(v) for v in lines[12].split()]
    assert cols[0] == 1013 and cols[1] == pytest.approx(0.5) and cols[5] == pytest.approx(15.0, abs=1e-4)
    assert cols[7] == pytest.approx(math.degrees(2 * math.atan(7.0 / 24.0)), abs=1e-6)
    err = capsys.readouterr().err
    assert "121 samples → 49 lines, frames 1001-1049 (at 24 fps)" in err
    assert "vertical aperture to 14 mm" in err and "horizontal aperture to 24.89 mm" in err


def test_start_frame_timecode_needs_timecodes_and_bad_values_are_one_line(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    take = tmp_path / "tc.take.jsonl"
    with TakeWriter(take, TakeHeader("dolly", T0, None, ("cam1",))) as writer:
        for s in dolly(13):
            writer.write(s.model_dump_json().encode())  # every sample carries 01:02:03:04 (the helper's)
    out = tmp_path / "tc.chan"
    assert main(["export", str(take), "--format", "chan", "--start-frame", "timecode", "--out", str(out)]) == 0
    first = int(out.read_text().split()[0])
    assert first == ((1 * 60 + 2) * 60 + 3) * 24 + 4
    capsys.readouterr()
    assert main(["export", str(take), "--format", "chan", "--start-frame", "timecode", "--per-sample"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "export: --start-frame timecode needs plate frames: leave out --per-sample"
    with pytest.raises(SystemExit) as exc:
        main(["export", str(take), "--format", "chan", "--start-frame", "soon"])
    assert exc.value.code == 2
