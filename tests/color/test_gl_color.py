"""The output transform on the GPU (headless EGL) against the numpy reference: PQ code values at 16 bits,
exposure, white balance, gamut, and 3D LUTs (identity exact, channel swap, interpolation)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from renderer.gl import GLContext
from renderer.gl.resources import Framebuffer
from renderer.gl.wall_pass import WallFrame
from renderer.lightcards import PlacedCard
from stage.core.color import transfer as tf
from stage.core.color.cube_lut import CubeLUT, apply_lut, format_cube, identity_table
from stage.core.color.gamut import conversion_matrix
from stage.core.color.white_balance import white_balance_matrix
from stage.core.config.color import WallColor
from tests.color.gl_rig import WallRig

pytestmark = pytest.mark.gl

WIDTH_PX, HEIGHT_PX = 4, 2


class Rig(WallRig):
    """One small flat wall whose every pixel shows a light card of a chosen scene-linear colour."""

    def __init__(self) -> None:
        super().__init__(WIDTH_PX, HEIGHT_PX)

    def render(self, linear: tuple[float, float, float], color: WallColor | None = None, exposure_ev: float = 0.0,
               white_balance_k: float = 6500.0, tint: float = 0.0, brightness: float = 1.0) -> np.ndarray:
        """The wall's output (float code values, H×W×3) for one scene-linear colour."""
        self.wall.color = color or WallColor()
        frame = WallFrame(inner_clip=[], soft_edge_pct=0.0, chroma_key=False, key_color=(0, 0, 0), marker_grid=False,
                          marker_spacing_m=1.0, outer_eye_m=(0.0, 0.0, 1.0), exposure_gain=2.0**exposure_ev,
                          white_balance_k=white_balance_k, tint=tint)
        card = PlacedCard("c", "w", np.array([0.0, 2.0, 0.5]), np.array([1.0, 0, 0]), np.array([0, 0, 1.0]),
                          (5.0, 5.0), False, 0.0, tuple(linear))
        fb = Framebuffer(WIDTH_PX, HEIGHT_PX, "rgba32f", depth=False)
        try:
            fb.bind()
            self.compositor.draw(self.surface, (0, 0), frame, self.inner, self.outer, [card], brightness)
            return fb.read()[:, :, :3].astype(np.float64)
        finally:
            fb.delete()



@pytest.fixture(scope="module")
def rig(gl_session_context: GLContext) -> Iterator[Rig]:
    gl_session_context.make_current()
    r = Rig()
    yield r
    gl_session_context.make_current()
    r.delete()


@pytest.fixture(autouse=True)
def _current(gl_context: GLContext) -> None:
    """Every test runs with the session context current."""


def one(image: np.ndarray) -> np.ndarray:
    assert np.ptp(image.reshape(-1, 3), axis=0).max() < 1e-7  # every pixel the same
    return image[0, 0]


@pytest.mark.parametrize(("linear", "nits"), [(1.0, 100.0), (10.0, 1000.0), (0.0, 0.0), (2.03, 203.0)])
def test_pq_code_values_at_16_bits(rig: Rig, linear: float, nits: float) -> None:
    out = one(rig.render((linear,) * 3, WallColor(transfer="pq", peak_nits=1000.0)))
    code = np.round(out * 65535)
    expected = np.round(float(tf.pq_encode(nits)) * 65535)
    assert np.abs(code - expected).max() <= 1, (code, expected)  # llvmpipe: within 0.35 LSB
    if nits == 100.0:
        assert round(out[0] * 1023) == 520
    if nits == 1000.0:
        assert round(out[0] * 1023) == 769


def test_pq_clips_at_the_wall_peak(rig: Rig) -> None:
    out = one(rig.render((50.0, 50.0, 50.0), WallColor(transfer="pq", peak_nits=600.0)))
    np.testing.assert_allclose(out, tf.pq_encode(600.0), atol=3 / 65535)


@pytest.mark.parametrize("transfer", ["linear", "srgb", "bt1886"])
def test_sdr_transfers_match_numpy(rig: Rig, transfer: str) -> None:
    for value in (0.001, 0.0031308, 0.05, 0.18, 0.5, 0.9):
        out = one(rig.render((value, value / 2, value / 4), WallColor(transfer=transfer)))
        np.testing.assert_allclose(out, tf.encode([value, value / 2, value / 4], transfer), atol=2e-6)


def test_exposure_plus_one_doubles_linear_light(rig: Rig) -> None:
    linear = WallColor(transfer="linear")
    base = one(rig.render((0.1, 0.2, 0.3), linear))
    np.testing.assert_allclose(one(rig.render((0.1, 0.2, 0.3), linear, exposure_ev=1.0)), 2 * base, rtol=1e-6)
    pq = WallColor(transfer="pq", peak_nits=10000.0)  # doubling happens before the encoding
    doubled = tf.pq_decode(one(rig.render((1.5, 1.5, 1.5), pq, exposure_ev=1.0)))
    np.testing.assert_allclose(doubled, 300.0, rtol=2e-3)
    np.testing.assert_allclose(one(rig.render((0.1, 0.2, 0.3), linear, brightness=0.5)), base / 2, rtol=1e-6)


def test_white_balance_and_gamut_matrices(rig: Rig) -> None:
    grey = (0.2, 0.2, 0.2)
    linear = WallColor(transfer="linear")
    assert np.array_equal(one(rig.render(grey, linear, white_balance_k=6500.0)), np.full(3, np.float32(0.2)))
    tungsten = one(rig.render(grey, linear, white_balance_k=3200.0))
    np.testing.assert_allclose(tungsten, white_balance_matrix(3200.0) @ np.full(3, 0.2), rtol=1e-5)
    assert tungsten[0] < 0.1 and tungsten[2] > 0.45  # a 3200 K camera balance turns daylight content blue
    x = np.array([0.3, 0.1, 0.05])
    for gamut in ("p3d65", "rec2020"):
        out = one(rig.render(tuple(x), WallColor(transfer="linear", gamut=gamut), white_balance_k=5000.0, tint=0.2))
        expected = conversion_matrix("rec709", gamut) @ white_balance_matrix(5000.0, 0.2) @ x
        np.testing.assert_allclose(out, expected, rtol=1e-5)


def _lut_file(tmp_path: Path, name: str, table: np.ndarray) -> str:
    path = tmp_path / name
    path.write_text(format_cube(table, decimals=9))
    return str(path)


@pytest.mark.parametrize("interpolation", ["trilinear", "tetrahedral"])
def test_identity_lut_is_exact(rig: Rig, tmp_path: Path, interpolation: str) -> None:
    lut = _lut_file(tmp_path, "id.cube", identity_table(17))
    for value in ((0.18, 0.5, 0.9), (0.0, 1.0, 0.33), (0.7, 0.7, 0.7)):
        plain = one(rig.render(value, WallColor()))
        with_lut = one(rig.render(value, WallColor(lut=lut, lut_interpolation=interpolation)))
        np.testing.assert_allclose(with_lut, plain, atol=2e-7)
        assert np.array_equal(np.round(with_lut * 65535), np.round(plain * 65535))


@pytest.mark.parametrize("interpolation", ["trilinear", "tetrahedral"])
def test_channel_swap_lut_swaps(rig: Rig, tmp_path: Path, interpolation: str) -> None:
    lut = _lut_file(tmp_path, "swap.cube", identity_table(9)[..., ::-1])
    plain = one(rig.render((0.05, 0.3, 0.8), WallColor()))
    swapped = one(rig.render((0.05, 0.3, 0.8), WallColor(lut=lut, lut_interpolation=interpolation)))
    np.testing.assert_allclose(swapped, plain[::-1], atol=1e-6)


@pytest.mark.parametrize("interpolation", ["trilinear", "tetrahedral"])
def test_random_lut_matches_numpy_reference(rig: Rig, tmp_path: Path, interpolation: str) -> None:
    rng = np.random.default_rng(7)
    table = rng.random((5, 5, 5, 3)).astype(np.float32)
    lut = _lut_file(tmp_path, "r.cube", table)
    ref = CubeLUT(5, table)
    for value in rng.random((12, 3)):
        out = one(rig.render(tuple(value), WallColor(transfer="linear", lut=lut, lut_interpolation=interpolation)))
        np.testing.assert_allclose(out, apply_lut(ref, value[None], interpolation)[0], atol=2e-6)
