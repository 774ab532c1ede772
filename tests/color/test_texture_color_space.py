"""Scene textures and panoramas declare their colour space; with an OCIO config it is converted to the stage's
working space by OCIO's CPU processor when the scene loads (``stage.core.color.texture_space``). OCIO's
``Config::getProcessor(src, dst)`` (``OpenColorIO`` ``src/OpenColorIO/Config.cpp``) is the reference."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from renderer.gl import GLContext
from renderer.gl.resources import Framebuffer
from renderer.gl.scene_pass import ScenePass
from stage.core.color.ocio import apply_cpu, load_config
from stage.core.color.texture_space import to_working
from stage.core.config.color import ColorManagement
from stage.core.config.errors import ConfigError
from stage.core.config.loader import load_scene_config
from stage.core.config.scene import SceneConfig, set_base_dir
from stage.core.geometry.projection import perspective_from_fov
from stage.core.pose import Pose

W, H = 32, 24
STUDIO = "ocio://studio-config-latest"
ACES = ColorManagement(ocio_config=STUDIO, working_space="ACEScg")
P3 = "sRGB Encoded P3-D65"
DARK = {"sky": {"kind": "solid"}, "ground": {"enabled": False}, "sun": {"intensity": 0.0}, "ambient": [0, 0, 0]}


def texels() -> np.ndarray:
    """A 32 × 64 panorama of saturated and neutral colours (uint8 RGB)."""
    image = np.zeros((32, 64, 3), np.uint8)
    for i, colour in enumerate([(200, 40, 30), (30, 180, 60), (40, 60, 220), (118, 118, 118)]):
        image[:, i * 16:(i + 1) * 16] = colour
    return image


def write_exr(rgb: np.ndarray, path: Path) -> None:
    import OpenEXR

    with OpenEXR.File({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage},
                      {"RGB": np.ascontiguousarray(rgb, np.float32)}) as exr:
        exr.write(str(path))


def panorama_scene(folder: Path, path: str, color_space: str | None) -> SceneConfig:
    sky = {"kind": "panorama", "path": path, **({"color_space": color_space} if color_space else {})}
    return set_base_dir(SceneConfig.model_validate({"name": "t", **DARK, "sky": sky}), folder)


@pytest.fixture
def fb(gl_context: GLContext) -> Iterator[Framebuffer]:
    framebuffer = Framebuffer(W, H, "rgba16f")
    yield framebuffer
    framebuffer.delete()


def render(fb: Framebuffer, scene: SceneConfig, color: ColorManagement | None) -> np.ndarray:
    scene_pass = ScenePass(scene, color)
    try:
        fb.bind()
        projection = perspective_from_fov(60.0, W / H, 0.1, 1000.0)
        scene_pass.draw(Pose((0.0, 0.0, 1.6), (0.0, 0.0, 0.0)).view_matrix(), projection, 0.0)
        return fb.read()[:, :, :3].astype(float)
    finally:
        scene_pass.delete()


@pytest.mark.gl
def test_declared_space_renders_like_the_texture_preconverted_by_ocio(fb: Framebuffer, tmp_path: Path) -> None:
    Image.fromarray(texels()).save(tmp_path / "pano.png")
    processor = load_config(STUDIO).getProcessor(P3, "ACEScg")
    write_exr(apply_cpu(processor, texels() / 255.0), tmp_path / "pre.exr")  # OCIO's CPU processor, offline

    declared = render(fb, panorama_scene(tmp_path, "pano.png", P3), ACES)
    preconverted = render(fb, panorama_scene(tmp_path, "pre.exr", "ACEScg"), ACES)
    np.testing.assert_allclose(declared, preconverted, rtol=4e-3, atol=2e-3)  # RGBA16F rounding
    undeclared = render(fb, panorama_scene(tmp_path, "pano.png", None), ACES)  # sRGB Rec.709 → ACEScg
    assert np.abs(undeclared - declared).max() > 0.02  # the declaration changes the picture


@pytest.mark.gl
def test_builtin_linear_space_without_ocio(fb: Framebuffer, tmp_path: Path) -> None:
    Image.fromarray(texels()).save(tmp_path / "pano.png")
    write_exr(texels() / 255.0, tmp_path / "lin.exr")
    declared = render(fb, panorama_scene(tmp_path, "pano.png", "Linear Rec.709 (sRGB)"), None)
    np.testing.assert_allclose(declared, render(fb, panorama_scene(tmp_path, "lin.exr", None), None),
                               rtol=4e-3, atol=2e-3)


def test_default_spaces_leave_the_image_to_the_gpu() -> None:
    """Today's path: 8-bit sRGB and float EXR are uploaded as they are (goldens unchanged)."""
    srgb = np.zeros((2, 2, 4), np.uint8)
    linear = np.zeros((2, 2, 4), np.float32)
    lin709 = ColorManagement(ocio_config=STUDIO, working_space="lin_rec709")
    for cm in (None, lin709):
        ref, space = (cm.ocio_config, cm.working_space) if cm else (None, None)
        assert to_working(srgb, "a.png", None, ref, space) is srgb
        assert to_working(linear, "a.exr", None, ref, space) is linear
        assert to_working(srgb, "a.png", "srgb_tx", ref, space) is srgb
    converted = to_working(srgb + 255, "a.png", None, STUDIO, "ACEScg")
    assert converted.dtype == np.float32 and np.allclose(converted, 1.0, atol=1e-3)  # white stays white


def write_scene(tmp_path: Path, color_space: str) -> Path:
    Image.fromarray(texels()).save(tmp_path / "pano.png")
    path = tmp_path / "scene.yaml"
    path.write_text(f"name: t\nsky:\n  kind: panorama\n  path: pano.png\n  color_space: {color_space}\n")
    return path


def test_unknown_space_without_ocio_is_one_file_line_error(tmp_path: Path) -> None:
    path = write_scene(tmp_path, "ACEScg")
    with pytest.raises(ConfigError) as err:
        load_scene_config(path, ColorManagement())
    text = str(err.value)
    assert f"{path}:5: sky.color_space:" in text and "'sRGB Encoded Rec.709 (sRGB)'" in text
    assert len(text.strip().splitlines()) == 1


def test_unknown_space_with_ocio_names_the_choices(tmp_path: Path) -> None:
    path = write_scene(tmp_path, "ACEScgg")
    with pytest.raises(ConfigError) as err:
        load_scene_config(path, ACES)
    assert f"{path}:5: sky.color_space: unknown colour space 'ACEScgg'" in str(err.value)
    assert "'ACEScg'" in str(err.value)
    assert load_scene_config(write_scene(tmp_path, "ACEScg"), ACES).sky.color_space == "ACEScg"


def test_validate_checks_other_scenes_against_the_stage_ocio_config(tmp_path: Path, capsys) -> None:
    """``stage validate`` checks every scene ``stage scene`` can switch to, with the stage's OCIO config — not only
    the start scene: a colour space the built-in set knows but the crew's config lacks is refused before the show."""
    import shutil

    from stage.app.cli import main
    from stage.core.scene.catalog import SceneChecks

    repo = Path(__file__).resolve().parents[2]
    for folder in ("ocio", "luts"):
        shutil.copytree(repo / "configs" / folder, tmp_path / folder)
    config = (repo / "configs" / "demo-aces-openvpcal.yaml").read_text().replace("../scenes/demo.yaml", "scenes/a.yaml")
    (tmp_path / "stage.yaml").write_text(config)
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    (scenes / "a.yaml").write_text("name: a\nsky:\n  kind: solid\n")
    other = write_scene(scenes, "sRGB Encoded Rec.709 (sRGB)")  # built-in name, absent from the OpenVPCal config
    assert main(["validate", str(tmp_path / "stage.yaml")]) == 2
    err = capsys.readouterr().err
    assert f"{other}:5: sky.color_space: unknown colour space 'sRGB Encoded Rec.709 (sRGB)'" in err
    assert "1 problem(s) in other scenes" in err
    checks = SceneChecks(load_stage_config_color(tmp_path / "stage.yaml"))
    assert "unknown colour space" in (checks.problem(str(other)) or "")
    checks.recolor(ColorManagement())  # a reload back to the built-in chain: the scene is fine again
    assert checks.problem(str(other)) is None
    other.write_text(other.read_text().replace("sRGB Encoded Rec.709 (sRGB)", "ACEScg"))
    assert main(["validate", str(tmp_path / "stage.yaml")]) == 0


def load_stage_config_color(path: Path) -> ColorManagement:
    from stage.core.config.loader import load_stage_config

    return load_stage_config(path).color


def test_exr_plane_texture_validates_and_loads_as_scene_linear(tmp_path: Path) -> None:
    """A textured plane may use a scene-linear OpenEXR, as panoramas do: the asset check reads it the way the
    renderer does (it used to decode it as PNG/JPEG and refuse the scene)."""
    from renderer.gl.scene_geometry import prepare_scene

    rgb = np.full((8, 8, 3), 2.5, np.float32)  # above 1: only a float texture keeps it
    write_exr(rgb, tmp_path / "card.exr")
    path = tmp_path / "scene.yaml"
    path.write_text("name: t\nsky:\n  kind: solid\nobjects:\n  - kind: plane\n    texture: card.exr\n")
    scene = load_scene_config(path)
    texture = prepare_scene(scene).custom[0].texture
    assert texture.dtype == np.float32 and np.allclose(texture[..., :3], 2.5)
