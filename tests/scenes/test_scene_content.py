"""New scene content on a real headless context: panorama sky, fog, point lights, arrays (one draw per kind),
time of day, animation and glTF/terrain draws. Images are 64 × 48 RGBA16F, row 0 the top."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from renderer.gl import GLContext
from renderer.gl.resources import Framebuffer
from renderer.gl.scene_pass import ScenePass
from stage.core.config.loader import load_scene_config
from stage.core.config.scene import SceneConfig, set_base_dir
from stage.core.geometry.projection import perspective_from_fov
from stage.core.pose import Pose
from tests.renderer.test_scene_pass import CountingGL

pytestmark = pytest.mark.gl

W, H = 64, 48
PROJECTION = perspective_from_fov(60.0, W / H, 0.1, 1000.0)
REPO = Path(__file__).resolve().parents[2]
DARK: dict[str, Any] = {"sky": {"kind": "solid"}, "ground": {"enabled": False}, "sun": {"intensity": 0.0},
                        "ambient": [0.0, 0.0, 0.0]}


def view(pan_deg: float = 0.0, tilt_deg: float = 0.0) -> np.ndarray:
    return Pose((0.0, 0.0, 1.6), (pan_deg, tilt_deg, 0.0)).view_matrix()


@pytest.fixture
def fb(gl_context: GLContext) -> Iterator[Framebuffer]:
    framebuffer = Framebuffer(W, H, "rgba16f")
    yield framebuffer
    framebuffer.delete()


def render(fb: Framebuffer, scene: SceneConfig, camera: np.ndarray | None = None, time_s: float = 0.0,
           hours: float | None = None) -> np.ndarray:
    scene_pass = ScenePass(scene)
    try:
        scene_pass.set_time_of_day(hours)
        fb.bind()
        scene_pass.draw(view() if camera is None else camera, PROJECTION, time_s)
        return fb.read()[:, :, :3].astype(float)
    finally:
        scene_pass.delete()


def scene(**fields: Any) -> SceneConfig:
    return SceneConfig.model_validate({"name": "t", **DARK, **fields})


def test_panorama_shows_its_colour_at_each_azimuth(fb: Framebuffer, tmp_path: Path) -> None:
    image = np.zeros((32, 64, 3), np.uint8)
    image[:, :] = (255, 0, 0)  # red everywhere else
    image[:, 24:40] = (0, 255, 0)  # u 0.375..0.625: azimuth 90 ± 45 (+Y, straight ahead)
    image[:, 40:56] = (0, 0, 255)  # u 0.625..0.875: azimuth 0 ± 45 (+X, the camera's right)
    Image.fromarray(image).save(tmp_path / "pano.png")
    config = set_base_dir(scene(sky={"kind": "panorama", "path": "pano.png"}), tmp_path)
    for pan, channel in ((0.0, 1), (-90.0, 2), (90.0, 0), (180.0, 0)):
        centre = render(fb, config, view(pan))[H // 2 - 2: H // 2 + 2, W // 2 - 2: W // 2 + 2].mean((0, 1))
        assert centre[channel] > 0.9 and centre.sum() < 1.1, (pan, centre)


def test_openexr_panorama_keeps_high_dynamic_range(fb: Framebuffer, tmp_path: Path) -> None:
    import OpenEXR

    rgb = np.zeros((32, 64, 3), np.float32)
    rgb[:, :] = (0.02, 0.02, 0.02)
    rgb[:, 24:40] = (4.0, 2.0, 0.5)  # straight ahead: brighter than white, as in a real HDR sky
    with OpenEXR.File({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage},
                      {"RGB": rgb}) as exr:
        exr.write(str(tmp_path / "pano.exr"))
    config = set_base_dir(scene(sky={"kind": "panorama", "path": "pano.exr"}), tmp_path)
    centre = render(fb, config)[H // 2 - 2: H // 2 + 2, W // 2 - 2: W // 2 + 2].mean((0, 1))
    np.testing.assert_allclose(centre, (4.0, 2.0, 0.5), rtol=0.01)  # linear, unclipped (RGBA16F target)
    behind = render(fb, config, view(180.0))[H // 2, W // 2]
    np.testing.assert_allclose(behind, (0.02, 0.02, 0.02), rtol=0.02)


def test_bad_openexr_panorama_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "pano.exr").write_bytes(b"v/1\x01 not really an exr")
    (tmp_path / "s.yaml").write_text("name: s\nsky: {kind: panorama, path: pano.exr}\n")
    with pytest.raises(Exception) as info:
        load_scene_config(tmp_path / "s.yaml")
    lines = str(info.value).splitlines()
    assert len(lines) == 1 and "s.yaml:2: sky.path:" in lines[0] and "corrupt OpenEXR" in lines[0], lines


def test_fog_tints_far_objects_towards_its_colour(fb: Framebuffer) -> None:
    box = {"kind": "box", "size_m": [2, 2, 2], "color": [1, 0, 0], "emissive": 1.0}
    objects = [{**box, "position_m": [-3, 8, 1.6]}, {**box, "position_m": [6, 60, 1.6], "size_m": [10, 10, 10]}]
    clear = render(fb, scene(objects=objects))
    fog = render(fb, scene(objects=objects, fog={"density_per_m": 0.03, "color": [0, 0, 1]}))
    near, far = (slice(H // 2 - 1, H // 2 + 1), slice(13, 15)), (slice(H // 2 - 1, H // 2 + 1), slice(36, 38))
    assert clear[near][..., 0].mean() > 0.95 and clear[far][..., 0].mean() > 0.95
    assert 0.7 < fog[near][..., 0].mean() < 0.85  # exp(-0.03 * ~8 m)
    assert fog[far][..., 0].mean() < 0.25 and fog[far][..., 2].mean() > 0.75  # exp(-0.03 * ~55 m)


def test_point_light_brightens_a_nearby_surface(fb: Framebuffer) -> None:
    wall = {"kind": "box", "position_m": [0, 6, 1.6], "size_m": [6, 0.2, 4], "color": [0.5, 0.5, 0.5]}
    dark = render(fb, scene(objects=[wall]))
    lit = render(fb, scene(objects=[wall], point_lights=[{"position_m": [0, 5, 1.6], "color": [1, 1, 1],
                                                          "intensity": 1.0, "range_m": 5.0}]))
    assert dark.max() == 0.0
    centre, edge = lit[H // 2, W // 2], lit[H // 2, 14]  # edge: about 2.6 m from the light
    assert centre[0] == pytest.approx(0.5 * (1 - 0.18**4) ** 2 / 0.9**2, rel=0.03)  # 0.9 m away, straight on
    assert 0.0 < edge[0] < 0.5 * centre[0]


def test_arrays_draw_in_one_instanced_call_per_kind(fb: Framebuffer) -> None:
    config = scene(objects=[
        {"kind": "array", "count": [5, 4], "spacing_m": [1.5, 1.5], "position_m": [0, 12, 0.5],
         "item": {"kind": "box", "size_m": [0.5, 0.5, 0.5], "emissive": 1.0}},
        {"kind": "box", "position_m": [-3, 6, 1], "emissive": 1.0},
        {"kind": "array", "count": [3, 2, 2], "spacing_m": [1, 1, 1], "position_m": [3, 8, 2],
         "item": {"kind": "sphere", "radius_m": 0.3, "emissive": 1.0}},
    ])
    scene_pass = ScenePass(config)
    try:
        counting = CountingGL(scene_pass._gl)
        draws: list[tuple] = []
        original = counting._gl.glDrawElementsInstanced
        scene_pass._gl = counting

        def record(*args: Any) -> Any:
            draws.append(args)
            return original(*args)

        counting._gl.glDrawElementsInstanced = record
        fb.bind()
        scene_pass.draw(view(), PROJECTION)
        counting._gl.glDrawElementsInstanced = original
        scene_pass._gl = counting._gl
    finally:
        scene_pass.delete()
    assert sorted(d[4] for d in draws) == [12, 21]  # spheres 3·2·2, boxes 5·4 + 1: one call per kind
    assert counting.calls.count("glDrawElementsInstanced") == 2


def test_time_of_day_moves_the_sun_and_dims_the_sky(fb: Framebuffer) -> None:
    config = scene(sky={"kind": "gradient"}, sun={"intensity": 1.0}, ambient=[0.2, 0.2, 0.2],
                   time_of_day={"sunrise_azimuth_deg": 0.0, "noon_elevation_deg": 60.0},
                   objects=[{"kind": "box", "position_m": [0, 5, 1.6], "size_m": [2, 2, 2], "color": [1, 1, 1]}])
    morning, noon, night = (render(fb, config, view(tilt_deg=10.0), hours=h) for h in (6.5, 12.0, 0.0))
    face = (slice(H // 2 + 4, H // 2 + 8), slice(W // 2 - 2, W // 2 + 2))  # front face (-Y): lit by the noon sun
    assert noon[face].mean() > morning[face].mean() + 0.2
    sky = (slice(0, 4), slice(0, W))
    assert night[sky].mean() < 0.1 * noon[sky].mean()
    assert np.array_equal(render(fb, config, view(), hours=None), render(fb, config, view(), hours=12.0))


def test_spin_is_driven_by_time_and_reproducible(fb: Framebuffer) -> None:
    config = scene(sun={"intensity": 1.0, "azimuth_deg": 200, "elevation_deg": 30}, ambient=[0.1, 0.1, 0.1],
                   objects=[{"kind": "box", "position_m": [0, 5, 1.6], "size_m": [2, 1, 1], "spin_deg_per_s": 30}])
    a, b, b2 = render(fb, config, time_s=0.0), render(fb, config, time_s=1.0), render(fb, config, time_s=1.0)
    assert not np.array_equal(a, b) and np.array_equal(b, b2)


@pytest.mark.parametrize("name", ["gallery", "landscape"])
def test_gltf_and_terrain_scenes_draw(fb: Framebuffer, name: str) -> None:
    config = load_scene_config(REPO / "scenes" / f"{name}.yaml")
    image = render(fb, config, view(tilt_deg=-5.0))
    assert np.isfinite(image).all() and image.std() > 0.02
