"""Gamut matrices from primaries (SMPTE RP 177) against ITU-R BT.2087 and IEC 61966-2-1."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from stage.core.color.gamut import GAMUTS, conversion_matrix, rgb_to_xyz_matrix, xyz_to_rgb_matrix

BT2087_709_TO_2020 = np.array([  # ITU-R BT.2087-0, equation (4)
    [0.6274, 0.3293, 0.0433],
    [0.0691, 0.9195, 0.0114],
    [0.0164, 0.0880, 0.8956],
])
SRGB_NPM = np.array([  # IEC 61966-2-1 (amendment 1, 4-decimal form)
    [0.4124, 0.3576, 0.1805],
    [0.2126, 0.7152, 0.0722],
    [0.0193, 0.1192, 0.9505],
])


def test_rec709_to_rec2020_matches_bt2087() -> None:
    np.testing.assert_allclose(conversion_matrix("rec709", "rec2020"), BT2087_709_TO_2020, atol=1e-4)


def test_rec709_npm_matches_srgb_standard() -> None:
    np.testing.assert_allclose(rgb_to_xyz_matrix(GAMUTS["rec709"]), SRGB_NPM, atol=1e-4)
    # the middle row is the luminance weights: BT.709 Y = 0.2126 R + 0.7152 G + 0.0722 B
    np.testing.assert_allclose(rgb_to_xyz_matrix(GAMUTS["rec709"])[1], [0.2126, 0.7152, 0.0722], atol=1e-4)


def test_rec2020_luminance_weights() -> None:  # BT.2020: Y = 0.2627 R + 0.6780 G + 0.0593 B
    np.testing.assert_allclose(rgb_to_xyz_matrix(GAMUTS["rec2020"])[1], [0.2627, 0.6780, 0.0593], atol=1e-4)


@pytest.mark.parametrize(("src", "dst"), list(itertools.product(GAMUTS, GAMUTS)))
def test_white_maps_to_white(src: str, dst: str) -> None:
    np.testing.assert_allclose(conversion_matrix(src, dst) @ np.ones(3), np.ones(3), atol=1e-12)
    np.testing.assert_allclose(conversion_matrix(dst, src) @ conversion_matrix(src, dst), np.eye(3), atol=1e-12)


def test_same_gamut_is_exact_identity_and_inverse_is_inverse() -> None:
    for name in GAMUTS:
        assert np.array_equal(conversion_matrix(name, name), np.eye(3))
        np.testing.assert_allclose(xyz_to_rgb_matrix(GAMUTS[name]) @ rgb_to_xyz_matrix(GAMUTS[name]), np.eye(3),
                                   atol=1e-12)


def test_wider_gamut_holds_rec709_inside() -> None:
    # Rec.709 primaries are inside P3 and Rec.2020: converted values stay non-negative
    for dst in ("p3d65", "rec2020"):
        assert (conversion_matrix("rec709", dst) >= -1e-12).all()
    with pytest.raises(ValueError, match="unknown gamut"):
        conversion_matrix("rec709", "acescg")
