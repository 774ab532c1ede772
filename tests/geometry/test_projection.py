"""OpenGL perspective matrices against hand-derived ones."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stage.core.geometry.projection import frustum, lens_frustum_extents, perspective_from_fov, perspective_from_lens

NEAR, FAR = 0.1, 100.0
A = -(FAR + NEAR) / (FAR - NEAR)
B = -2 * FAR * NEAR / (FAR - NEAR)


def test_perspective_35mm_on_36x24_by_hand() -> None:
    expected = np.array(
        [
            [70 / 36, 0, 0, 0],  # 2f/w = 1.9444
            [0, 70 / 24, 0, 0],  # 2f/h = 2.9167
            [0, 0, A, B],
            [0, 0, -1, 0],
        ]
    )
    np.testing.assert_allclose(perspective_from_lens(35.0, (36.0, 24.0), NEAR, FAR), expected, rtol=1e-12)


def test_overscan_scales_tangents() -> None:
    p = perspective_from_lens(35.0, (36.0, 24.0), NEAR, FAR, overscan_pct=10.0)
    assert p[0, 0] == pytest.approx(70 / 36 / 1.1)
    assert p[1, 1] == pytest.approx(70 / 24 / 1.1)
    left, r, bottom, t = lens_frustum_extents(35.0, (36.0, 24.0), 1.0, 10.0)
    assert (r, t) == pytest.approx((18 / 35 * 1.1, 12 / 35 * 1.1))
    assert (left, bottom) == pytest.approx((-r, -t))


def test_fov_and_lens_agree() -> None:
    fov_v = 2 * math.degrees(math.atan(12 / 35))
    np.testing.assert_allclose(
        perspective_from_fov(fov_v, 1.5, NEAR, FAR, overscan_pct=15.0),
        perspective_from_lens(35.0, (36.0, 24.0), NEAR, FAR, overscan_pct=15.0),
        rtol=1e-12,
    )


def test_frustum_general_by_hand_and_near_far_map_to_ndc() -> None:
    m = frustum(-0.1, 0.3, -0.05, 0.15, 0.5, 10.0)
    expected = np.array(
        [
            [1.0 / 0.4, 0, 0.2 / 0.4, 0],
            [0, 1.0 / 0.2, 0.1 / 0.2, 0],
            [0, 0, -10.5 / 9.5, -10.0 / 9.5],
            [0, 0, -1, 0],
        ]
    )
    np.testing.assert_allclose(m, expected, rtol=1e-12)
    for corner, ndc in [((-0.1, -0.05, -0.5), (-1, -1, -1)), ((0.3 * 20, 0.15 * 20, -10.0), (1, 1, 1))]:
        clip = m @ np.array([*corner, 1.0])
        np.testing.assert_allclose(clip[:3] / clip[3], ndc, atol=1e-12)


def test_frustum_broadcasts() -> None:
    stack = frustum(np.array([-1.0, -2.0]), 1.0, -1.0, 1.0, 1.0, 10.0)
    assert stack.shape == (2, 4, 4)
    np.testing.assert_allclose(stack[1], frustum(-2.0, 1.0, -1.0, 1.0, 1.0, 10.0))
