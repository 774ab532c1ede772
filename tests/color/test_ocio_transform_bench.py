"""``benchmarks.ocio_transform``: its GPU results are OCIO's, on colours from deep shadow to specular highlights,
and its bake measurement backs what docs/performance.md says about baking ACES 2.0 into a LUT."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import ocio_transform

pytestmark = pytest.mark.gl


def test_every_transform_on_random_colours_is_within_one_10_bit_code_of_ocios_cpu_processor(gl_session_context):
    cost = ocio_transform.measure_cost((64, 32), runs=1, warmup=1)
    assert set(cost) == set(ocio_transform.CASES)
    ocio_cases = {name: entry for name, entry in cost.items() if name.startswith("ocio-")}
    assert ocio_cases and all(entry["max_codes_from_cpu"] <= 1.0 for entry in ocio_cases.values()), ocio_cases
    assert all(entry["ns_per_px_median"] > 0 for entry in cost.values())
    assert cost["builtin-srgb"]["ratio"] == 1.0


def test_test_colours_span_shadows_to_highlights_reproducibly():
    colors = ocio_transform.test_colors(20_000)
    assert np.array_equal(colors, ocio_transform.test_colors(20_000))
    peak = colors.max(axis=1)
    assert peak.min() < 2.0 ** -7 and peak.max() > 2.0 ** 2.5
    assert (colors.min(axis=1) < 0.2 * peak).mean() > 0.15  # saturated colours too, not only greys


def test_a_baked_aces2_lut_is_more_than_a_code_off_where_ocio_is_exact():
    bake = ocio_transform.measure_bake([33], 5_000)
    aces = bake["ocio-srgb-aces2"]["33"]
    assert aces["over_one_code"] > 0.1 and aces["max_codes"] > 10.0
