"""White balance, camera style (Unreal's White Balance temperature type): 6500 K is the identity, light of the
set temperature comes out neutral, so lower temperatures cool the picture (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest

from stage.core.color.gamut import GAMUTS, rgb_to_xyz_matrix, xy_to_xyz
from stage.core.color.white_balance import planckian_uv, uv_to_xy, white_balance_matrix, white_xy


def test_6500k_tint_0_is_identity() -> None:
    assert np.array_equal(white_balance_matrix(6500.0, 0.0), np.eye(3))
    np.testing.assert_allclose(white_balance_matrix(6503.0, 0.0), np.eye(3), atol=1e-3)


def test_planckian_locus_reference_point() -> None:
    # CIE illuminant A is a black body at 2856 K: xy (0.44757, 0.40745), uv (0.2560, 0.3495) (CIE 15:2004)
    assert planckian_uv(2856.0) == pytest.approx((0.2560, 0.3495), abs=1.5e-4)
    assert uv_to_xy(*planckian_uv(2856.0)) == pytest.approx((0.44757, 0.40745), abs=4e-4)
    with pytest.raises(ValueError, match="outside"):
        planckian_uv(500.0)


def test_3200k_cools_like_a_tungsten_balanced_camera() -> None:
    """A DP's 3200 K: daylight-white content turns blue (before issue 13 it turned orange)."""
    white = white_balance_matrix(3200.0) @ np.ones(3)
    r, g, b = white
    assert 0.25 < r < 0.55 and 1.0 < g < 1.2 and 2.3 < b < 3.3  # about (0.37, 1.03, 2.61)
    luminance = rgb_to_xyz_matrix(GAMUTS["rec709"])[1] @ white
    assert luminance == pytest.approx(1.0, abs=1e-9)  # white balance is not exposure


def test_light_of_the_set_temperature_comes_out_neutral() -> None:
    """A white lit at ``kelvin`` (the Planckian white, tint moved the other way) maps to the neutral 6500 K white's
    chromaticity."""
    npm = rgb_to_xyz_matrix(GAMUTS["rec709"])
    neutral = white_xy(6500.0)
    for kelvin, tint in ((3200.0, 0.0), (5600.0, 0.3), (9000.0, -0.5)):
        lit_rgb = np.linalg.solve(npm, xy_to_xyz(white_xy(kelvin, -tint)))
        xyz = npm @ white_balance_matrix(kelvin, tint) @ lit_rgb
        assert (xyz[0] / xyz.sum(), xyz[1] / xyz.sum()) == pytest.approx(neutral, abs=1e-9)


def test_direction_and_monotonic() -> None:
    ratios = [(lambda w: w[0] / w[2])(white_balance_matrix(k) @ np.ones(3)) for k in (2000, 3200, 5600, 9000, 15000)]
    assert all(a < b for a, b in zip(ratios, ratios[1:], strict=False))  # cooler as the temperature falls
    magenta, green = white_balance_matrix(6500, 1.0) @ np.ones(3), white_balance_matrix(6500, -1.0) @ np.ones(3)
    assert magenta[1] < 1.0 < magenta[0] and magenta[2] > 1.0
    assert green[1] > 1.0 > green[0] and green[2] < 1.0
    # tint moves the white about 0.02 in uv off the locus: magenta (+) below it, green (−) above (CIE 1960 Duv sign)
    def uv(xy: tuple[float, float]) -> tuple[float, float]:
        x, y = xy
        return 4 * x / (-2 * x + 12 * y + 3), 6 * y / (-2 * x + 12 * y + 3)

    u0, v0 = planckian_uv(6500.0)
    (um, vm), (ug, vg) = uv(white_xy(6500.0, 1.0)), uv(white_xy(6500.0, -1.0))
    assert np.hypot(um - u0, vm - v0) == pytest.approx(0.02, rel=1e-6)
    assert np.hypot(ug - u0, vg - v0) == pytest.approx(0.02, rel=1e-6)
    assert vm < v0 < vg
