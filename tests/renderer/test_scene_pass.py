"""The scene pass on a real headless context (Mesa llvmpipe): sky, ground, shading, depth and transforms.

Images are 64 × 48 RGBA16F; row 0 is the top. Expected colours are computed here from the scene parameters, so
tolerances only cover half-float rounding and the odd edge pixel.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from renderer.gl import GLContext
from renderer.gl.resources import Framebuffer
from renderer.gl.scene_pass import ScenePass
from stage.core.config.loader import load_scene_config
from stage.core.config.scene import SceneConfig
from stage.core.geometry.projection import frustum, perspective_from_fov
from stage.core.pose import Pose

pytestmark = pytest.mark.gl

W, H = 64, 48
PROJECTION = perspective_from_fov(60.0, W / H, 0.1, 1000.0)
LEVEL_AT_1_6 = Pose((0.0, 0.0, 1.6), (0.0, 0.0, 0.0)).view_matrix()  # eye height, looking along +Y
DARK = {
    "sky": {"kind": "solid", "color": [0.0, 0.0, 0.0]},
    "ground": {"enabled": False},
    "sun": {"intensity": 0.0},
    "ambient": [0.0, 0.0, 0.0],
}


def scene(**fields: Any) -> SceneConfig:
    return SceneConfig.model_validate({"name": "test", **fields})


def emissive_box(position: tuple[float, float, float], size: float, color: tuple[float, float, float]) -> dict:
    return {"kind": "box", "position_m": list(position), "size_m": [size] * 3, "color": list(color), "emissive": 1.0}


@pytest.fixture
def fb(gl_context: GLContext) -> Iterator[Framebuffer]:
    framebuffer = Framebuffer(W, H, "rgba16f")
    framebuffer.bind()
    yield framebuffer
    framebuffer.delete()


def render(
    fb: Framebuffer,
    config: SceneConfig,
    view: np.ndarray = LEVEL_AT_1_6,
    time_s: float = 0.0,
    projection: np.ndarray = PROJECTION,
) -> np.ndarray:
    scene_pass = ScenePass(config)
    try:
        fb.bind()
        scene_pass.draw(view, projection, time_s)
        return fb.read()
    finally:
        scene_pass.delete()


def pixel_of(
    world: np.ndarray, view: np.ndarray = LEVEL_AT_1_6, projection: np.ndarray = PROJECTION
) -> tuple[float, float]:
    """(row, column) of the pixel whose centre sees ``world``, as floats (row 0 top)."""
    clip = projection @ view @ np.append(world, 1.0)
    x, y = clip[:2] / clip[3]
    return (1.0 - y) / 2.0 * H - 0.5, (x + 1.0) / 2.0 * W - 0.5


def test_looking_up_sees_the_zenith(fb: Framebuffer) -> None:
    zenith = (0.1, 0.2, 0.9)
    image = render(
        fb,
        scene(sky={"kind": "gradient", "zenith": list(zenith)}),
        Pose((0.0, 0.0, 1.6), (0.0, 90.0, 0.0)).view_matrix(),
    )
    assert np.allclose(image[H // 2 - 1 : H // 2 + 1, W // 2 - 1 : W // 2 + 1, :3], zenith, atol=2e-3)
    assert (image[..., 3] == 1.0).all()


def test_level_camera_sees_sky_above_and_ground_below(fb: Framebuffer) -> None:
    ground = (0.6, 0.0, 0.5)
    config = scene(
        sky={"kind": "gradient", "zenith": [0.0, 0.0, 1.0], "horizon": [0.0, 1.0, 0.0], "nadir": [1.0, 0.0, 0.0]},
        ground={"color": list(ground), "grid_color": list(ground)},
        sun={"intensity": 0.0},
        ambient=[1.0, 1.0, 1.0],
    )
    image = render(fb, config)
    top, bottom = image[: H // 2, :, :3], image[H // 2 + 4 :, :, :3]
    assert (top[..., 0] < 1e-3).all() and np.allclose(top[..., 1] + top[..., 2], 1.0, atol=3e-3)  # horizon→zenith
    assert (top[0, :, 2] > top[H // 2 - 1, :, 2]).all()  # bluer towards the zenith: row 0 is the top
    assert np.allclose(bottom, ground, atol=0.03)
    # The far ground fades into the horizon colour, the near ground does not.
    assert image[H // 2, 0, 1] > 0.3 > image[-1, 0, 1]


def test_off_axis_frustum_puts_the_horizon_where_the_math_says(fb: Framebuffer) -> None:
    config = scene(
        sky={"kind": "solid", "color": [0.0, 0.0, 1.0]},
        ground={"color": [1.0, 0.0, 0.0], "grid_color": [1.0, 0.0, 0.0]},
        sun={"intensity": 0.0},
        ambient=[1.0, 1.0, 1.0],
    )
    projection = frustum(-0.06, 0.1, -0.02, 0.1, 0.1, 1000.0)  # lens shifted up and to the right
    image = render(fb, config, projection=projection)
    horizon_row, _ = pixel_of(np.array([0.0, 1e5, 1.6]), projection=projection)
    assert 30.0 < horizon_row < 44.0
    assert (image[: int(horizon_row) - 1, :, 0] < 1e-3).all()
    assert (image[int(horizon_row) + 3 :, :, 0] > 0.5).all()


def test_sun_disc_is_in_the_sun_direction_turned_by_the_placement(fb: Framebuffer) -> None:
    config = scene(
        sky={"kind": "gradient"},
        sun={"azimuth_deg": 140.0, "elevation_deg": 35.0},
        placement={"yaw_deg": 30.0},
    )
    # Light from azimuth 140° + 30° (counter-clockwise from +X); pan is measured from +Y, so pan = 170° − 90°.
    narrow = perspective_from_fov(8.0, W / H, 0.1, 1000.0)  # the disc (1-2° across) spans several pixels
    image = render(fb, config, Pose((0.0, 0.0, 1.6), (80.0, 35.0, 0.0)).view_matrix(), projection=narrow)
    centre, corner = image[H // 2 - 1 : H // 2 + 1, W // 2 - 1 : W // 2 + 1, :3], image[0, 0, :3]
    assert (centre > 3.0).all() and (corner < 1.0).all()


def test_box_shading_is_lambert_from_the_sun(fb: Framebuffer) -> None:
    color, sun_rgb, intensity, ambient = np.array([0.8, 0.15, 0.1]), np.array([1.0, 0.9, 0.8]), 0.8, 0.1
    az, el = math.radians(250.0), math.radians(30.0)
    to_sun = np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
    normal = np.array([math.sin(math.radians(30.0)), -math.cos(math.radians(30.0)), 0.0])  # −Y face after yaw 30°
    config = scene(
        objects=[{"kind": "box", "position_m": [0.0, 5.0, 1.6], "yaw_deg": 30.0, "color": color.tolist()}],
        sun={"azimuth_deg": 250.0, "elevation_deg": 30.0, "color": sun_rgb.tolist(), "intensity": intensity},
        ambient=[ambient] * 3,
    )
    expected = color * (sun_rgb * intensity * max(float(normal @ to_sun), 0.0) + ambient)
    image = render(fb, config)
    assert np.allclose(image[H // 2, W // 2, :3], expected, atol=3e-3)


@pytest.mark.parametrize("near_first", [True, False])
def test_nearer_box_occludes_the_farther(fb: Framebuffer, near_first: bool) -> None:
    near, far = emissive_box((0.0, 4.0, 1.6), 0.5, (0.0, 1.0, 0.0)), emissive_box((0.0, 8.0, 1.6), 2.0, (1, 0, 0))
    image = render(fb, scene(**DARK, objects=[near, far] if near_first else [far, near]))
    assert np.allclose(image[H // 2, W // 2, :3], (0.0, 1.0, 0.0), atol=1e-3)
    row, col = pixel_of(np.array([0.7, 8.0 - 1.0, 1.6]))  # on the far box's front face, beside the near box
    assert np.allclose(image[round(row), round(col), :3], (1.0, 0.0, 0.0), atol=1e-3)


def test_ground_hides_what_is_below_it(fb: Framebuffer) -> None:
    below = emissive_box((0.0, 6.0, -1.0), 1.0, (1.0, 0.0, 0.0))
    blue = {"color": [0.0, 0.0, 1.0], "grid_color": [0.0, 0.0, 1.0]}
    config = scene(**{**DARK, "ground": blue, "ambient": [1.0, 1.0, 1.0]}, objects=[below])
    view = Pose((0.0, 0.0, 3.0), (0.0, -30.0, 0.0)).view_matrix()
    assert render(fb, config, view)[..., 0].max() < 1e-3  # no red: the (blue) ground is in front
    without_ground = config.model_copy(update={"ground": config.ground.model_copy(update={"enabled": False})})
    assert render(fb, without_ground, view)[..., 0].max() > 0.9


def test_placement_moves_objects_where_the_math_says(fb: Framebuffer) -> None:
    scene_centre = np.array([0.0, 6.0, 1.6])
    config = scene(**DARK, objects=[emissive_box(tuple(scene_centre), 0.3, (1.0, 1.0, 1.0))])
    offset, yaw, scale = np.array([0.5, 0.5, 0.6]), math.radians(-15.0), 1.2
    rz = np.array([[math.cos(yaw), -math.sin(yaw), 0.0], [math.sin(yaw), math.cos(yaw), 0.0], [0.0, 0.0, 1.0]])
    scene_pass = ScenePass(config)
    try:
        centroids = []
        for placement in (((0.0, 0.0, 0.0), 0.0, 1.0), (tuple(offset), -15.0, scale)):
            scene_pass.set_placement(*placement)
            fb.bind()
            scene_pass.draw(LEVEL_AT_1_6, PROJECTION)
            rows, cols = np.nonzero(fb.read()[..., 0] > 0.5)
            centroids.append(np.array([rows.mean(), cols.mean()]))
    finally:
        scene_pass.delete()
    assert np.allclose(centroids[0], pixel_of(scene_centre), atol=0.75)
    assert np.allclose(centroids[1], pixel_of(offset + scale * rz @ scene_centre), atol=0.75)
    assert np.linalg.norm(centroids[1] - centroids[0]) > 3.0


def test_emissive_object_shows_its_colour_with_the_sun_off(fb: Framebuffer) -> None:
    color = (0.8, 0.3, 0.05)
    image = render(fb, scene(**DARK, objects=[emissive_box((0.0, 5.0, 1.6), 1.0, color)]))
    assert np.allclose(image[H // 2, W // 2, :3], color, atol=1e-3)


def test_grid_lines_major_brighter_than_minor(fb: Framebuffer) -> None:
    config = scene(
        ground={"color": [0.0, 0.0, 0.0], "grid_color": [1.0, 1.0, 1.0], "grid_line_width_m": 0.2},
        sun={"intensity": 0.0},
        ambient=[1.0, 1.0, 1.0],
    )
    view = Pose((0.0, 0.0, 3.0), (0.0, -90.0, 0.0)).view_matrix()  # straight down at the origin
    image = render(fb, config, view)

    def at(x: float, y: float) -> float:
        row, col = pixel_of(np.array([x, y, 0.0]), view)
        return float(image[round(row), round(col), 0])

    assert at(0.0, 0.5) > 0.9  # x = 0: every 10th line, full grid colour
    assert 0.35 < at(1.0, 0.5) < 0.65  # x = 1: minor line, half way
    assert at(0.5, 0.5) < 0.02  # between lines: the ground


def test_solid_sky_is_constant(fb: Framebuffer) -> None:
    image = render(fb, scene(sky={"kind": "solid", "color": [0.25, 0.5, 0.125]}, ground={"enabled": False}))
    assert (image == np.array([0.25, 0.5, 0.125, 1.0], np.float32)).all()


def test_same_inputs_give_identical_bytes_and_time_changes_nothing(fb: Framebuffer, repo: Any) -> None:
    config = load_scene_config(repo / "scenes" / "demo.yaml")
    view = Pose((0.5, -1.0, 1.7), (-8.0, -5.0, 2.0)).view_matrix()
    first = render(fb, config, view)
    assert render(fb, config, view).tobytes() == first.tobytes()
    assert render(fb, config, view, time_s=1234.5).tobytes() == first.tobytes()


class CountingGL:
    """Wraps PyOpenGL's ``GL`` module and records the name of every ``gl*`` function called through it."""

    def __init__(self, gl: Any) -> None:
        self._gl, self.calls = gl, []

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._gl, name)
        if not (name.startswith("gl") and callable(value)):
            return value

        def counted(*args: Any) -> Any:
            self.calls.append(name)
            return value(*args)

        return counted


def test_gl_calls_per_draw_do_not_grow_with_objects(fb: Framebuffer, repo: Any) -> None:
    demo = load_scene_config(repo / "scenes" / "demo.yaml")
    counts = []
    for config in (demo, demo.model_copy(update={"objects": demo.objects * 10})):
        scene_pass = ScenePass(config)
        counting = CountingGL(scene_pass._gl)
        scene_pass._gl = counting
        scene_pass.draw(LEVEL_AT_1_6, PROJECTION)
        scene_pass._gl = counting._gl
        assert not counting._gl.glIsEnabled(counting._gl.GL_DEPTH_TEST)  # default state restored for later passes
        scene_pass.delete()
        counts.append(len(counting.calls))
    assert counts == [21, 21]  # 15 + 2 per primitive kind present (box, sphere, cylinder)
