"""The worked example in docs/coordinates.md, so the numbers there stay true."""

from __future__ import annotations

import numpy as np
import pytest

from stage.core.config.wall_geometry import wall_resolution_px, wall_sections
from stage.core.config.walls import FlatWall
from stage.core.geometry.kooima import section_projection
from stage.core.geometry.projection import perspective_from_lens
from stage.core.geometry.raycast import SectionSet, cast_rays
from stage.core.lens import entrance_pupil_position, fov_deg
from stage.core.pose import Pose

WALL = FlatWall(
    name="wall", kind="flat",
    corners={"lower_left": (-4.0, 5.0, 0.0), "lower_right": (4.0, 5.0, 0.0), "upper_left": (-4.0, 5.0, 4.5)},
    pixel_pitch_mm=3.9, output={"node": "n"},
)  # fmt: skip


def test_worked_example_numbers() -> None:
    assert wall_resolution_px(WALL) == (2051, 1154)
    section = wall_sections(WALL)[0]
    pose = Pose((0.5, -1.0, 1.6), (20.0, 5.0, 0.0))
    np.testing.assert_allclose(
        pose.world_from_camera(),
        [[0.9397, 0.0298, 0.3407, 0.5], [0.3420, -0.0819, -0.9361, -1.0], [0.0, 0.9962, -0.0872, 1.6], [0, 0, 0, 1]],
        atol=5e-5,
    )
    assert fov_deg(35.0, (36.7, 25.54)) == pytest.approx((55.33, 40.09), abs=5e-3)
    p = perspective_from_lens(35.0, (36.7, 25.54), 0.1, 100.0, 15.0)
    assert (p[0, 0], p[1, 1], p[2, 2], p[2, 3]) == pytest.approx((1.6586, 2.3833, -1.0020, -0.2002), abs=5e-5)
    pupil = entrance_pupil_position(pose, 0.14)
    np.testing.assert_allclose(pupil, [0.4523, -0.8689, 1.6122], atol=5e-5)
    hit = cast_rays(pupil, pose.forward, SectionSet.from_sections([section])).at(0)
    assert hit is not None
    assert (hit.t, hit.u_px, hit.v_px) == pytest.approx((6.2695, 593.8, 600.4), abs=5e-2)
    k = section_projection(section, (0.0, 0.0, 1.7), 0.1, 100.0)
    np.testing.assert_allclose(k.extents_m, [-0.08, 0.08, -0.034, 0.056], atol=1e-12)
    np.testing.assert_allclose(
        k.clip_from_world,
        [[1.25, 0, 0, 0], [0, -0.2444, 2.2222, -3.7778], [0, 1.0020, 0, -0.2002], [0, 1, 0, 0]],
        atol=5e-5,
    )
    clip = k.clip_from_world @ [1.0, 5.0, 2.0, 1.0]
    ndc = clip[:2] / clip[3]
    assert ((ndc[0] + 1) / 2 * 2051, (1 - ndc[1]) / 2 * 1154) == pytest.approx((1281.9, 641.1), abs=0.05)
