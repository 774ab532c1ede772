"""Lens math: FOV, entrance pupil, encoder tables."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stage.core.config.cameras import FixedLens, LensTable
from stage.core.lens import LensSolver, LensState, entrance_pupil_position, focal_length_from_fov, fov_deg, solve_lens
from stage.core.pose import Pose

TABLE = LensTable.model_validate(
    {
        "kind": "table",
        "zoom": [
            {"encoder": 0, "focal_length_mm": 24.0, "entrance_pupil_m": 0.155},
            {"encoder": 32768, "focal_length_mm": 50.0, "entrance_pupil_m": 0.120},
            {"encoder": 65535, "focal_length_mm": 105.0, "entrance_pupil_m": 0.060},
        ],
        "focus": [{"encoder": 0, "focus_m": 0.45}, {"encoder": 65535, "focus_m": 100.0}],
    }
)


def test_fov_35mm_full_frame() -> None:
    h, v = fov_deg(35.0, (36.0, 24.0))
    assert h == pytest.approx(2 * math.degrees(math.atan(18 / 35)))
    assert h == pytest.approx(54.4322, abs=1e-4)
    assert v == pytest.approx(37.8493, abs=1e-4)


@settings(max_examples=50, deadline=None)
@given(st.floats(1.0, 2000.0), st.floats(1.0, 70.0))
def test_focal_length_from_fov_inverts_fov(focal_length_mm: float, size_mm: float) -> None:
    h, _ = fov_deg(focal_length_mm, (size_mm, size_mm))
    assert focal_length_from_fov(h, size_mm) == pytest.approx(focal_length_mm, rel=1e-9)


def test_entrance_pupil_moves_along_optical_axis() -> None:
    pose = Pose((1.0, 2.0, 1.5), (90.0, 0.0, 0.0))  # pan +90: looks towards −X
    np.testing.assert_allclose(entrance_pupil_position(pose, 0.1), [0.9, 2.0, 1.5], atol=1e-12)
    np.testing.assert_allclose(entrance_pupil_position(pose, -0.2), [1.2, 2.0, 1.5], atol=1e-12)
    tilted = Pose((0.0, 0.0, 0.0), (0.0, 30.0, 0.0))  # looks up
    np.testing.assert_allclose(entrance_pupil_position(tilted, 1.0), [0.0, math.cos(math.radians(30)), 0.5])


def test_fixed_lens_passes_through() -> None:
    lens = FixedLens(kind="fixed", focal_length_mm=35.0, entrance_pupil_m=0.14, focus_m=3.0)
    assert solve_lens(lens, 12345, 999) == LensState(35.0, 3.0, 0.14)
    assert LensSolver(FixedLens(kind="fixed", focal_length_mm=50.0))() == LensState(50.0, None, 0.0)


def test_table_interpolates_and_clamps() -> None:
    solver = LensSolver(TABLE)
    mid = solver(16384, 65535 / 2)
    assert mid.focal_length_mm == pytest.approx(37.0)
    assert mid.entrance_pupil_m == pytest.approx(0.1375)
    assert mid.focus_m == pytest.approx((0.45 + 100.0) / 2)
    assert solver(32768).focal_length_mm == 50.0
    low, high = solver(-1000, -5), solver(1e9, 1e9)
    assert (low.focal_length_mm, low.entrance_pupil_m, low.focus_m) == (24.0, 0.155, 0.45)
    assert (high.focal_length_mm, high.entrance_pupil_m, high.focus_m) == (105.0, 0.060, 100.0)


def test_missing_encoders() -> None:
    solver = LensSolver(TABLE)
    assert solver(None, None) == LensState(24.0, None, 0.155)  # first zoom point, focus unknown
    assert solver(float("nan"), float("nan")) == LensState(24.0, None, 0.155)
    no_focus = LensTable(kind="table", zoom=TABLE.zoom)
    assert LensSolver(no_focus)(65535, 100).focus_m is None


def test_single_point_table() -> None:
    one = LensTable.model_validate({"kind": "table", "zoom": [{"encoder": 10, "focal_length_mm": 85.0}]})
    assert LensSolver(one)(0).focal_length_mm == 85.0
    assert LensSolver(one)(99).focal_length_mm == 85.0
