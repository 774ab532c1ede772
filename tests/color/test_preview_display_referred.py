"""Previews show every wall display-referred on an sRGB monitor, whatever its display: the same light encoded for
different displays previews the same, while the wall signals themselves differ. Built-in chain and OCIO alike
(the preview transform is an OCIO processor in both cases: ``stage.core.color.ocio.*_preview_processor``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from renderer.gl import GLContext
from renderer.offline import render_frame
from renderer.views import CameraState
from stage.core.config.color import ColorManagement, WallColor
from stage.core.config.loader import load_scene_config, load_stage_config
from stage.core.lens import LensSolver
from stage.core.live import LiveState

pytestmark = pytest.mark.gl

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "tests" / "color" / "data" / "color-stage.yaml"
ACES = ColorManagement(ocio_config="ocio://studio-config-latest", working_space="ACEScg")
SDR_VIEW = "ACES 2.0 - SDR 100 nits (Rec.709)"


def render(context: GLContext, color: WallColor, management: ColorManagement | None = None):
    config = load_stage_config(CONFIG)
    config.walls[0].color = color
    config.render.light_cards = []  # no HDR card: SDR light only, so every encoding can hold it
    if management is not None:
        config.color = management
    camera = config.cameras[0]
    lens = LensSolver(camera.lens)()
    state = CameraState(camera=camera.id, position_m=(0.0, 0.5, 1.6), rotation_deg=(-8.0, 2.0, 0.0),
                        focal_length_mm=lens.focal_length_mm, sensor_mm=camera.sensor_mm,
                        entrance_pupil_m=lens.entrance_pupil_m, priority=camera.priority)
    context.make_current()
    result = render_frame(config, load_scene_config(REPO / "scenes" / "demo.yaml"), [state],
                          LiveState.from_config(config), 0.0, 64, context=context)
    return result.walls["main"][..., :3].astype(int), result.preview[..., :3].astype(int)


def mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def test_builtin_pq_and_bt1886_walls_preview_like_srgb(gl_context: GLContext) -> None:
    srgb_wall, srgb_preview = render(gl_context, WallColor())
    for color in (WallColor(transfer="pq", gamut="rec2020"), WallColor(transfer="bt1886", gamut="p3d65")):
        wall, preview = render(gl_context, color)
        assert mean_abs(wall, srgb_wall) > 4  # the signals differ
        assert mean_abs(preview, srgb_preview) < 1.0, color  # the light they show does not


def test_ocio_displays_preview_the_same_light_alike(gl_context: GLContext) -> None:
    srgb_wall, srgb_preview = render(gl_context, WallColor(display="sRGB - Display", view=SDR_VIEW), ACES)
    for display in ("Rec.1886 Rec.709 - Display", "Rec.2100-PQ - Display"):
        wall, preview = render(gl_context, WallColor(display=display, view=SDR_VIEW), ACES)
        assert mean_abs(wall, srgb_wall) > 5, display
        assert mean_abs(preview, srgb_preview) < 1.0, display


def test_srgb_wall_preview_is_unchanged_by_the_preview_pass(gl_context: GLContext) -> None:
    """The built-in sRGB wall keeps the plain preview program (no round trip), so old goldens hold."""
    from renderer.gl.color_pass import output_transform

    assert output_transform(WallColor()).preview is None
    assert output_transform(WallColor(transfer="pq")).preview is not None
