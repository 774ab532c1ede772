"""Hue-preserving highlight clip (issue 13): at +2 EV bright sand keeps its hue instead of turning yellow, colours
in range are untouched; the numpy reference first, then the wall shader and the camera image on llvmpipe."""

from __future__ import annotations

import numpy as np
import pytest

from stage.core.color.highlights import clip_highlights, hue_ratio
from stage.core.color.transfer import encode, pq_decode, srgb_decode
from stage.core.config.color import WallColor
from tests.color.test_gl_color import Rig, one, rig  # noqa: F401  (the rig fixture)

SAND = (0.5, 0.4, 0.1)
"""A saturated sand/ochre in scene-linear Rec.709: hue ratio (g − b) / (r − b) = 0.75."""
HUE_TOLERANCE = 0.01
IN_RANGE = [(0.0, 0.0, 0.0), (0.2, 0.2, 0.2), (1.0, 0.5, 0.0), (0.9, 1.0, 0.05), (1.0, 1.0, 1.0)]


def test_bright_saturated_colour_keeps_its_hue_ratio() -> None:
    bright = np.array(SAND) * 4.0  # +2 EV: red 1 stop over
    clipped = clip_highlights(bright)
    assert clipped.max() == pytest.approx(1.0)
    assert hue_ratio(clipped) == pytest.approx(hue_ratio(SAND), abs=1e-12)
    scaled = bright / bright.max()  # a third of the way (1 of 3 stops) from the scaled colour to white
    np.testing.assert_allclose(clipped, scaled + (1.0 - scaled) / 3.0)
    assert clip_highlights(np.array(SAND) * 16.0) == pytest.approx(np.ones(3))  # 3 stops over: white
    just_over = clip_highlights(np.array(SAND) * 2.0 * (1.0 + 1e-9))
    np.testing.assert_allclose(just_over, np.array(SAND) * 2.0, atol=1e-8)  # continuous at the limit
    per_channel = np.clip(bright, 0.0, 1.0)  # what the shader did before: (1, 1, 0.4), yellow
    assert abs(hue_ratio(per_channel) - hue_ratio(SAND)) > 0.2


def test_in_range_colours_are_unchanged_and_limit_is_respected() -> None:
    assert np.array_equal(clip_highlights(IN_RANGE), np.array(IN_RANGE))
    rng = np.random.default_rng(13)
    colours = rng.uniform(0.0, 20.0, (1000, 3))
    out = clip_highlights(colours, 8.0)
    assert out.max() <= 8.0 + 1e-12
    inside = colours.max(axis=1) <= 8.0
    assert np.array_equal(out[inside], colours[inside])
    assert np.allclose(out[~inside].max(axis=1), 8.0)
    np.testing.assert_allclose(hue_ratio(out), hue_ratio(colours), atol=1e-9)


@pytest.mark.gl
def test_wall_shader_clips_preserving_hue(rig: Rig) -> None:  # noqa: F811
    linear = WallColor(transfer="linear")
    sand = one(rig.render(SAND, linear, exposure_ev=2.0))
    assert sand.max() == pytest.approx(1.0, abs=1e-6)
    assert hue_ratio(sand) == pytest.approx(hue_ratio(SAND), abs=HUE_TOLERANCE), sand
    np.testing.assert_allclose(sand, clip_highlights(np.array(SAND) * 4.0), atol=1e-5)  # the numpy reference
    srgb = srgb_decode(one(rig.render(SAND, WallColor(), exposure_ev=2.0)))
    assert hue_ratio(srgb) == pytest.approx(hue_ratio(SAND), abs=HUE_TOLERANCE), srgb
    for colour in IN_RANGE:  # unchanged: the plain encoding of the colour
        np.testing.assert_allclose(one(rig.render(colour, WallColor())), encode(colour, "srgb"), atol=1e-6)


@pytest.mark.gl
def test_pq_wall_clips_at_its_peak_preserving_hue(rig: Rig) -> None:  # noqa: F811
    pq = WallColor(transfer="pq", gamut="rec709", peak_nits=1000.0)
    nits = pq_decode(one(rig.render(tuple(30.0 * c for c in SAND), pq)))  # 1.0 = 100 nits: red at 1500 nits
    assert nits.max() == pytest.approx(1000.0, rel=1e-3)
    assert hue_ratio(nits) == pytest.approx(hue_ratio(SAND), abs=HUE_TOLERANCE), nits
    np.testing.assert_allclose(nits, 100.0 * clip_highlights(np.array(SAND) * 30.0, 10.0), rtol=2e-3)
    below = pq_decode(one(rig.render(SAND, pq)))
    np.testing.assert_allclose(below, np.array(SAND) * 100.0, rtol=1e-4)
