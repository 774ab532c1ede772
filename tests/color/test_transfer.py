"""Transfer functions against published values: SMPTE ST 2084 (PQ), IEC 61966-2-1 (sRGB), ITU-R BT.1886."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stage.core.color import transfer as tf


def test_pq_constants_are_the_exact_rationals() -> None:
    assert (tf.PQ_M1, tf.PQ_M2) == (0.1593017578125, 78.84375)
    assert (tf.PQ_C1, tf.PQ_C2, tf.PQ_C3) == (0.8359375, 18.8515625, 18.6875)
    assert tf.PQ_C3 == tf.PQ_C1 + tf.PQ_C2 - 1.0  # so (c1 + c2) / (1 + c3) = 1: 10 000 nits encodes to exactly 1


@pytest.mark.parametrize(("nits", "code", "code10"), [
    (100.0, 0.5081, 520),  # BT.2100 / BT.2408 tables: 100 cd/m² ≈ 0.508, 10-bit 520
    (1000.0, 0.7518, 769),  # 1000 cd/m² ≈ 0.752, 10-bit 769
    (10000.0, 1.0, 1023),
])
def test_pq_published_code_values(nits: float, code: float, code10: int) -> None:
    v = float(tf.pq_encode(nits))
    assert v == pytest.approx(code, abs=1e-4)
    assert round(v * 1023) == code10
    assert float(tf.pq_decode(v)) == pytest.approx(nits, rel=1e-9)


def test_pq_zero_is_black() -> None:
    v = float(tf.pq_encode(0.0))
    assert 0.0 <= v < 1e-6 and round(v * 65535) == 0  # c1^m2 ≈ 7.3e-7: code 0 at any bit depth up to 16
    assert float(tf.pq_encode(20000.0)) == 1.0  # clipped at 10 000 nits


def test_srgb_breakpoints_and_continuity() -> None:
    assert float(tf.srgb_encode(tf.SRGB_LINEAR_BREAK)) == pytest.approx(tf.SRGB_CODE_BREAK, abs=1e-7)
    assert float(tf.srgb_decode(tf.SRGB_CODE_BREAK)) == pytest.approx(tf.SRGB_LINEAR_BREAK, abs=1e-8)
    eps = 1e-9  # both pieces meet at the breakpoint
    below, above = tf.srgb_encode(tf.SRGB_LINEAR_BREAK - eps), tf.srgb_encode(tf.SRGB_LINEAR_BREAK + eps)
    assert abs(float(above - below)) < 1e-6
    assert float(tf.srgb_encode(0.18)) == pytest.approx(0.4613561, abs=1e-6)  # mid grey
    assert (float(tf.srgb_encode(0.0)), float(tf.srgb_encode(1.0))) == (0.0, pytest.approx(1.0, abs=1e-12))


def test_bt1886_black_zero_is_pure_power_2_4() -> None:
    x = np.linspace(0.0, 1.0, 101)
    np.testing.assert_allclose(tf.bt1886_encode(x), x ** (1 / 2.4), atol=1e-12)
    np.testing.assert_allclose(tf.bt1886_decode(x), x**2.4, atol=1e-12)


def test_bt1886_with_black_level_hits_black_and_white() -> None:
    white, black = 100.0, 0.1
    assert float(tf.bt1886_decode(0.0, white, black)) == pytest.approx(black, rel=1e-9)
    assert float(tf.bt1886_decode(1.0, white, black)) == pytest.approx(white, rel=1e-9)
    assert float(tf.bt1886_encode(50.0, white, black)) == pytest.approx(
        float(np.interp(50.0, tf.bt1886_decode(np.linspace(0, 1, 100001), white, black),
                        np.linspace(0, 1, 100001))), abs=1e-5)


@given(st.floats(0.0, 1.0))
def test_round_trips(x: float) -> None:
    assert float(tf.srgb_decode(tf.srgb_encode(x))) == pytest.approx(x, abs=1e-12)
    assert float(tf.bt1886_decode(tf.bt1886_encode(x))) == pytest.approx(x, abs=1e-12)
    assert float(tf.pq_decode(tf.pq_encode(x * 10000.0))) == pytest.approx(x * 10000.0, rel=1e-9, abs=1e-6)


def test_encode_dispatch_pq_reference_white_and_peak() -> None:
    # scene-linear 1.0 = 100 nits; 10.0 = 1000 nits; above the wall's peak clips
    assert float(tf.encode(1.0, "pq")) == pytest.approx(float(tf.pq_encode(100.0)))
    assert float(tf.encode(10.0, "pq", peak_nits=1000.0)) == pytest.approx(float(tf.pq_encode(1000.0)))
    assert float(tf.encode(50.0, "pq", peak_nits=1000.0)) == float(tf.encode(10.0, "pq", peak_nits=1000.0))
    assert float(tf.encode(2.0, "srgb")) == pytest.approx(1.0)
    assert float(tf.encode(0.25, "linear")) == 0.25
    with pytest.raises(ValueError, match="unknown transfer"):
        tf.encode(0.5, "hlg")
