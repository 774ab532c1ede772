"""The inner-image rectangle that walls can sample, against a hand-worked example and brute force over every LED
pixel (the wall pass's own frustum test and its bilinear footprint on the pixel position map), for flat, angled,
ceiling and curved walls and random camera poses and lenses. (How tight it is shows in the hand-worked cases: the
sections' own outline, not their pixel centres, which sit half an LED pixel inside it.)"""

from __future__ import annotations

import math

import numpy as np
import pytest

from stage.core.config.wall_geometry import pixel_positions, wall_sections
from stage.core.geometry.image_cover import MARGIN_PX, ImageCover
from stage.core.geometry.projection import perspective_from_fov
from stage.core.geometry.sections import Section
from tests.geometry.test_frustum_cover import WALLS, random_clip

SIZE = (100, 100)
# A camera at the origin looking along +Y (stage), up +Z: GL camera axes x = +X, y = +Z, −z = +Y.
VIEW = np.array([[1.0, 0, 0, 0], [0, 0, 1.0, 0], [0, -1.0, 0, 0], [0, 0, 0, 1.0]])
CLIP = perspective_from_fov(90.0, 1.0, 0.05, 100.0) @ VIEW


def quad(x0: float, x1: float, z0: float, z1: float, y: float = 2.0) -> Section:
    return Section(np.array([x0, y, z0]), np.array([x1, y, z0]), np.array([x0, y, z1]), (0, 0, 10, 10))


def test_flat_quad_by_hand() -> None:
    # x 0..1 m, z −0.5..0.5 m at 2 m with a 90° lens: NDC x 0..0.5, y −0.25..0.25 → pixels 50..75, 37.5..62.5,
    # widened by the bilinear neighbour and the margin.
    pad = 1 + MARGIN_PX
    assert ImageCover([quad(0.0, 1.0, -0.5, 0.5)]).rect(CLIP, SIZE) == (50 - pad, 37 - pad, 75 + pad, 63 + pad)


def test_union_of_sections_each_clamped_to_the_image() -> None:
    pad = 1 + MARGIN_PX
    beside = quad(-9.0, -8.0, 0.0, 0.1)  # far to the left of the frustum: adds nothing
    assert ImageCover([quad(0.0, 1.0, -0.5, 0.5), beside]).rect(CLIP, SIZE) == (50 - pad, 37 - pad, 75 + pad, 63 + pad)
    wide = quad(-3.0, -0.5, 0.0, 0.1)  # from beyond the left edge to ndc.x −0.25, ndc.y 0..0.05
    assert ImageCover([quad(0.0, 1.0, -0.5, 0.5), wide]).rect(CLIP, SIZE) == (0, 37 - pad, 75 + pad, 63 + pad)


@pytest.mark.parametrize("section", [quad(0.0, 1.0, -0.5, 0.5, y=-2.0),  # behind the camera
                                     quad(3.0, 4.0, -0.5, 0.5),  # beside the frustum
                                     quad(-1.0, 1.0, 2.5, 3.0)])  # above it
def test_walls_outside_the_frustum_read_nothing(section: Section) -> None:
    assert ImageCover([section]).rect(CLIP, SIZE) is None
    assert ImageCover([]).rect(CLIP, SIZE) is None


def test_a_section_through_the_eye_plane_is_clipped_not_mirrored() -> None:
    # From 1 m behind the camera to 2 m in front, on the floor 0.5 m down: the part in front of the eye runs from the
    # bottom edge of the image to the horizon (ndc.y → −0.25 at 2 m); the part behind must not flip it upwards.
    floor = Section(np.array([-0.5, -1.0, -0.5]), np.array([0.5, -1.0, -0.5]), np.array([-0.5, 2.0, -0.5]),
                    (0, 0, 10, 10))
    x0, y0, x1, y1 = ImageCover([floor]).rect(CLIP, SIZE)
    assert y0 == 0 and y1 == math.ceil(37.5) + 1 + MARGIN_PX and x0 == 0 and x1 == 100


def texels_read(wall, clip: np.ndarray, size: tuple[int, int]) -> np.ndarray | None:
    """``(n, 2)`` integer texel (x, y) every bilinear sample of the wall pass reads (both neighbours), or None."""
    p = pixel_positions(wall).astype(np.float64).reshape(-1, 3)
    c = np.c_[p, np.ones(len(p))] @ np.asarray(clip).T
    w = c[:, 3]
    inside = (w > 0) & (np.abs(c[:, 0]) <= w) & (np.abs(c[:, 1]) <= w)
    if not inside.any():
        return None
    uv = (c[inside, :2] / w[inside, None]) * 0.5 + 0.5
    first = np.floor(uv * np.asarray(size) - 0.5).astype(int)
    return np.clip(np.concatenate([first, first + 1]), 0, np.asarray(size) - 1)


@pytest.mark.parametrize("wall", WALLS, ids=lambda w: w.name)
def test_rect_holds_every_texel_the_wall_pass_reads(wall) -> None:
    rng = np.random.default_rng(11)
    cover = ImageCover(wall_sections(wall))
    hits = 0
    for _ in range(40):
        clip = random_clip(rng)
        size = (int(rng.integers(16, 400)), int(rng.integers(16, 400)))
        texels = texels_read(wall, clip, size)
        rect = cover.rect(clip, size)
        if texels is None:
            continue
        hits += 1
        assert rect is not None
        x0, y0, x1, y1 = rect
        assert x0 <= texels[:, 0].min() and texels[:, 0].max() < x1
        assert y0 <= texels[:, 1].min() and texels[:, 1].max() < y1
    assert hits >= 5
