"""One Euro filter against the reference output, pose unwrapping; TrackerSample validation."""

from __future__ import annotations

import csv
import math

import pytest

from tracking.errors import TrackingParseError
from tracking.oneeuro import OneEuroFilter, PoseFilter, unwrap_deg
from tracking.sample import TrackerSample


def test_reproduces_reference_ground_truth_on_every_row(reference_data):
    rows = list(csv.DictReader((reference_data / "oneeuro" / "groundTruth.csv").open()))
    assert len(rows) > 100
    f = OneEuroFilter(mincutoff_hz=1.0, beta=0.1, dcutoff_hz=1.0)
    for row in rows:
        got = f(float(row["noisy"]), float(row["timestamp"]))
        assert got == pytest.approx(float(row["filtered"]), abs=1e-4), row["timestamp"]


def test_reset_makes_next_sample_pass_through():
    f = OneEuroFilter(1.0, 0.0, 1.0)
    f(0.0, 0.0)
    assert f(10.0, 0.01) < 10.0
    f.reset()
    assert f.value is None
    assert f(10.0, 0.02) == 10.0


def test_non_advancing_timestamp_keeps_output():
    f = OneEuroFilter()
    f(1.0, 1.0)
    assert f(5.0, 1.0) == 1.0


def test_unwrap_picks_nearest_equivalent():
    assert unwrap_deg(179.0, -179.0) == pytest.approx(181.0)
    assert unwrap_deg(-179.0, 179.0) == pytest.approx(-181.0)
    assert unwrap_deg(540.0, 10.0) == pytest.approx(370.0)


def test_pose_filter_crossing_180_never_jumps():
    pf = PoseFilter(rotation=(1.0, 0.0, 1.0))
    t, previous = 0.0, None
    pan = 170.0
    for _ in range(200):  # pan steadily through +180 into negative wrapped values
        wrapped = (pan + 180.0) % 360.0 - 180.0
        _, rot = pf((0.0, 0.0, 0.0), (wrapped, 0.0, 0.0), t)
        if previous is not None:
            assert abs(rot[0] - previous) < 1.0
        previous = rot[0]
        pan += 0.1
        t += 1 / 120
    assert previous > 180.0  # continuous, unwrapped output
    assert abs(((previous - pan) + 180) % 360 - 180) < 3.0  # and it tracks the input angle (lag ≈ v·τ ≈ 2°)


def test_pose_filter_wrap_output_and_reset():
    pf = PoseFilter(wrap_output=True)
    pf((0.0, 0.0, 0.0), (179.0, 0.0, 0.0), 0.0)
    pos, rot = pf((1.0, 0.0, 0.0), (-179.0, 0.0, 0.0), 1 / 60)
    assert -180.0 <= rot[0] < 180.0
    assert abs(abs(rot[0]) - 180.0) < 2.0  # near ±180, not near 0
    assert 0.0 < pos[0] < 1.0
    pf.reset()
    assert pf((5.0, 6.0, 7.0), (10.0, 20.0, 30.0), 1.0) == ((5.0, 6.0, 7.0), (10.0, 20.0, 30.0))


def test_tracker_sample_rejects_non_finite_values():
    ok = TrackerSample("1", (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), focal_length_mm=35.0)
    assert ok.focal_length_mm == 35.0
    for kwargs in ({"position_m": (0.0, math.nan, 0.0)}, {"rotation_deg": (math.inf, 0.0, 0.0)},
                   {"fstop": math.nan}, {"t_sample": -math.inf}, {"sensor_mm": (36.0, math.nan)}):
        args = {"source_camera_id": "1", "position_m": (0.0, 0.0, 0.0), "rotation_deg": (0.0, 0.0, 0.0)} | kwargs
        with pytest.raises(TrackingParseError) as info:
            TrackerSample(**args)
        assert info.value.reason == "non_finite"
        assert next(iter(kwargs)) in str(info.value)
    with pytest.raises(AttributeError):
        ok.fstop = 2.0  # frozen
