"""Pixel position maps: corners, seams, inverse, memory layout."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from stage.core.config.wall_geometry import pixel_positions, wall_sections
from stage.core.config.walls import CurvedWall, FlatWall
from stage.core.geometry.pixelmap import pixel_of_point, point_of_pixel

FLAT = FlatWall(
    name="flat", kind="flat",
    corners={"lower_left": (-4.0, 5.0, 0.0), "lower_right": (4.0, 5.0, 0.0), "upper_left": (-4.0, 5.0, 4.5)},
    resolution_px=(160, 90), output={"node": "n"},
)  # fmt: skip
CURVED = CurvedWall(
    name="curved", kind="curved",
    arc={"center_m": (0.0, 0.0), "radius_m": 6.0, "start_deg": 150.0, "end_deg": 30.0},
    height_m=3.0, bottom_m=0.5, columns=12, resolution_px=(12 * 16, 60), output={"node": "n"},
)  # fmt: skip


def test_layout_for_texture_upload() -> None:
    m = pixel_positions(FLAT)
    assert m.shape == (90, 160, 3) and m.dtype == np.float32 and m.flags.c_contiguous
    assert not np.isnan(m).any()


def test_corner_pixels_half_a_pixel_in() -> None:
    m = pixel_positions(FLAT)
    half = 8.0 / 160 / 2, 4.5 / 90 / 2
    np.testing.assert_allclose(m[0, 0], [-4 + half[0], 5, 4.5 - half[1]], atol=1e-6)  # top-left
    np.testing.assert_allclose(m[0, -1], [4 - half[0], 5, 4.5 - half[1]], atol=1e-6)
    np.testing.assert_allclose(m[-1, 0], [-4 + half[0], 5, half[1]], atol=1e-6)
    np.testing.assert_allclose(m[-1, -1], [4 - half[0], 5, half[1]], atol=1e-6)


def test_curved_map_continuous_across_seams() -> None:
    m = pixel_positions(CURVED).astype(float)
    steps = np.linalg.norm(np.diff(m, axis=1), axis=-1)  # neighbour distance along each row
    col_px = 16
    inside = np.delete(steps, np.arange(col_px - 1, steps.shape[1], col_px), axis=1)
    seams = steps[:, col_px - 1 :: col_px]
    pitch = inside.mean()
    assert np.allclose(inside, pitch, rtol=1e-4)
    # Across a seam the step is a little shorter (a bent chord) but never a jump.
    assert np.all(seams < pitch * 1.0001) and np.all(seams > pitch * 0.99)
    s0, s1 = wall_sections(CURVED)[:2]
    seam_points = s0.lower_right + np.outer(m[:, col_px, 2] - s0.lower_right[2], [0, 0, 1])  # seam line per row
    midpoints = (m[:, col_px - 1] + m[:, col_px]) / 2
    # The two pixels either side of the seam straddle it: their midpoint is on it, up to the bend.
    assert np.all(np.linalg.norm(midpoints - seam_points, axis=-1) < 0.05 * pitch)
    assert s0.lower_right.tolist() == s1.lower_left.tolist()


def test_curved_pixels_lie_on_their_sections() -> None:
    m = pixel_positions(CURVED).astype(float)
    for s in wall_sections(CURVED):
        x, y, w, h = s.pixel_rect
        block = m[y : y + h, x : x + w]
        np.testing.assert_allclose((block - s.lower_left) @ s.normal, 0.0, atol=1e-5)
        cols, rows = pixel_of_point(s, block)
        np.testing.assert_allclose(cols, np.arange(x, x + w)[None, :] + 0.5 + 0 * rows, atol=1e-4)
        np.testing.assert_allclose(rows, np.arange(y, y + h)[:, None] + 0.5 + 0 * cols, atol=1e-4)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 11), st.floats(-5.0, 25.0), st.floats(-5.0, 70.0))
def test_pixel_of_point_inverts_point_of_pixel(i: int, col: float, row: float) -> None:
    s = wall_sections(CURVED)[i]
    c, r = pixel_of_point(s, point_of_pixel(s, s.pixel_rect[0] + col, row))
    assert abs(float(c) - (s.pixel_rect[0] + col)) < 1e-9 and abs(float(r) - row) < 1e-9
