"""A wall's caches (renderer/gl/wall_cache.py), OCIO and built-in output transforms alike, against the uncached wall
pass, bit for bit, in every target format: the scene-linear outer cache read by the covered rectangle, the output
cache copied with ``glBlitFramebuffer`` into RGBA8 / RGBA16F / RGBA32F targets and into an sRGB-capable one written
as is (what Mesa's windows are), and the shader copy for a target a blit cannot copy into exactly (written through
the sRGB encoding). A tilted, rolled camera with a soft edge over part of a wall drawn at an odd offset into a larger
framebuffer, an outer cube map with a colour per face and two light cards; then the camera moves (caches kept), the
exposure changes (output cache drawn again) and a card moves (both drawn again). Each frame is drawn three times: a
frame unlike the last draws the whole wall (a fader or an animated scene would change it again), the second draws the
caches, the third copies them. Built-in walls: sRGB, BT.1886 + P3 + a 17³ .cube LUT (its 3D texture on the unit
beside the cache's), PQ + Rec.2020, and a white-balance change on top."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from renderer.gl import GLContext
from renderer.gl.resources import Framebuffer
from renderer.gl.wall_cache import blit_format
from renderer.gl.wall_pass import WallCompositor, WallFrame
from renderer.lightcards import PlacedCard
from renderer.views import CameraState, camera_view
from stage.core.config.color import ColorManagement, WallColor
from tests.color.gl_rig import WallRig

pytestmark = pytest.mark.gl

STUDIO = ColorManagement(ocio_config="ocio://studio-config-latest", working_space="ACEScg")
SIZE_PX = (48, 24)
ORIGIN_GL = (5, 3)
TARGET_PX = (60, 30)
SDR = WallColor(display="sRGB - Display")
HDR = WallColor(display="Rec.2100-PQ - Display")
WARM_LUT = str(Path(__file__).resolve().parents[2] / "configs" / "luts" / "warm-17.cube")
BUILTIN_SRGB = WallColor()
BUILTIN_BT1886_P3_LUT = WallColor(transfer="bt1886", gamut="p3d65", lut=WARM_LUT)
BUILTIN_PQ_REC2020 = WallColor(transfer="pq", gamut="rec2020")


@pytest.fixture(scope="module")
def rig(gl_session_context: GLContext) -> Iterator[WallRig]:
    from OpenGL import GL

    gl_session_context.make_current()
    r = WallRig(*SIZE_PX)
    for face in range(6):  # a colour per face, some above diffuse white
        r.outer.bind_face(face)
        GL.glClearColor(0.3 * face, 0.1 + 0.05 * face, 2.0 - 0.3 * face, 1.0)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT)
    r.outer.generate_mipmaps()
    r.inner.bind_layer(0)
    GL.glEnable(GL.GL_SCISSOR_TEST)
    for i, rgb in enumerate([(0.8, 0.4, 0.2), (0.05, 0.9, 3.0), (6.0, 0.2, 0.1), (0.18, 0.18, 0.18)]):
        GL.glScissor(2 * (i % 2), 2 * (i // 2), 2, 2)  # four quadrants: edges for the bilinear filter
        GL.glClearColor(*rgb, 1.0)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT)
    GL.glDisable(GL.GL_SCISSOR_TEST)
    yield r
    gl_session_context.make_current()
    r.delete()


@pytest.fixture(autouse=True)
def _current(gl_context: GLContext) -> None:
    """Every test runs with the session context current."""


def clip(pan_deg: float, focal_length_mm: float) -> np.ndarray:
    camera = CameraState("A", (0.2, 0.6, 0.45), (pan_deg, 6.0, 8.0), focal_length_mm, (24.89, 14.0))
    return camera_view(camera, 10.0).clip_from_world


def cards(x_m: float) -> list[PlacedCard]:
    return [PlacedCard("a", "w", np.array([x_m, 2.0, 0.5]), np.array([1.0, 0, 0]), np.array([0, 0, 1.0]),
                       (0.25, 0.2), True, 0.5, (4.0, 3.5, 3.0)),
            PlacedCard("b", "w", np.array([-0.6, 2.0, 0.3]), np.array([1.0, 0, 0]), np.array([0, 0, 1.0]),
                       (0.2, 0.2), False, 0.2, (0.02, 0.3, 0.05))]


def frame(pan_deg: float, gain: float = 1.0, management: ColorManagement | None = STUDIO) -> WallFrame:
    return WallFrame(inner_clip=[clip(pan_deg, 18.0)], soft_edge_pct=10.0, chroma_key=False, key_color=(0, 0, 0),
                     marker_grid=False, marker_spacing_m=1.0, outer_eye_m=(0.0, 0.5, 0.6), exposure_gain=gain,
                     color_management=management)


class SrgbTarget:
    """An FBO on a ``GL_SRGB8_ALPHA8`` texture (written as is: ``GL_FRAMEBUFFER_SRGB`` stays off)."""

    def __init__(self, width: int, height: int) -> None:
        from OpenGL import GL

        self.width, self.height = width, height
        self.texture = int(GL.glGenTextures(1))
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.texture)
        GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_SRGB8_ALPHA8, width, height, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE,
                        None)
        self.handle = int(GL.glGenFramebuffers(1))
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.handle)
        GL.glFramebufferTexture2D(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_TEXTURE_2D, self.texture, 0)

    def bind(self) -> None:
        from OpenGL import GL

        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.handle)

    def read(self) -> np.ndarray:
        from OpenGL import GL

        self.bind()
        data = GL.glReadPixels(0, 0, self.width, self.height, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE)
        return np.frombuffer(data, np.uint8).reshape(self.height, self.width, 4).copy()

    def delete(self) -> None:
        from OpenGL import GL

        GL.glDeleteFramebuffers(1, [self.handle])
        GL.glDeleteTextures([self.texture])


def make_target(fmt: str):
    return SrgbTarget(*TARGET_PX) if fmt.startswith("srgb8_alpha8") else Framebuffer(*TARGET_PX, fmt, depth=False)


def draw(rig: WallRig, compositor: WallCompositor, target, wall_frame: WallFrame, x_m: float) -> np.ndarray:
    from OpenGL import GL

    target.bind()
    GL.glViewport(0, 0, *TARGET_PX)
    GL.glClearColor(0.5, 0.25, 0.125, 1.0)  # the pass must leave everything outside the wall alone
    GL.glClear(GL.GL_COLOR_BUFFER_BIT)
    compositor.draw(rig.surface, ORIGIN_GL, wall_frame, rig.inner, rig.outer, cards(x_m))
    return target.read()


TARGETS = [("rgba8", "rgba8"), ("rgb10_a2", "rgb10_a2"), ("rgba16f", "rgba16f"), ("rgba32f", "rgba32f"),
           ("srgb8_alpha8", "rgba8"), ("srgb8_alpha8-encoded", None)]


def assert_cached_equals_full_pass(rig: WallRig, fmt: str, blit: str | None, color: WallColor,
                                   management: ColorManagement | None, extra: tuple = ()) -> None:
    """Each step (frame, card x) drawn uncached, then three times cached: every pixel of the target equal."""
    from OpenGL import GL

    rig.wall.color = color
    cached, plain = WallCompositor(), WallCompositor(cache_outer=False)
    targets = [make_target(fmt), make_target(fmt)]
    if fmt.endswith("-encoded"):
        GL.glEnable(GL.GL_FRAMEBUFFER_SRGB)
    try:
        targets[0].bind()
        assert blit_format() == blit
        steps = [(frame(-10.0, 1.0, management), 0.3), (frame(15.0, 1.0, management), 0.3),
                 (frame(15.0, 2.5, management), 0.3), (frame(15.0, 2.5, management), -0.1),
                 (replace(frame(0.0, 1.0, management), inner_clip=[]), -0.1), *extra]
        for wall_frame, x_m in steps:
            b = draw(rig, plain, targets[1], wall_frame, x_m)
            for _ in range(3):  # a new frame (whole wall), the same again (caches drawn), and again (caches kept)
                np.testing.assert_array_equal(draw(rig, cached, targets[0], wall_frame, x_m), b)
        first = draw(rig, cached, targets[0], frame(-10.0, 1.0, management), 0.3)
        assert len(np.unique(first.reshape(-1, 4), axis=0)) > 50  # inner quadrants, soft edge, cube faces, cards
        assert cached._outer_caches  # the cached compositor did keep (and use) the wall's caches
    finally:
        GL.glDisable(GL.GL_FRAMEBUFFER_SRGB)
        for obj in (*targets, cached, plain):
            obj.delete()


@pytest.mark.parametrize(("fmt", "color", "blit"), [
    ("rgba8", SDR, "rgba8"), ("rgb10_a2", HDR, "rgb10_a2"), ("rgba16f", HDR, "rgba16f"), ("rgba32f", HDR, "rgba32f"),
    ("srgb8_alpha8", SDR, "rgba8"), ("srgb8_alpha8-encoded", SDR, None)])
def test_cached_ocio_wall_equals_the_full_pass_in_every_target_format(rig: WallRig, fmt: str, color: WallColor,
                                                                      blit: str | None) -> None:
    assert_cached_equals_full_pass(rig, fmt, blit, color, STUDIO)


@pytest.mark.parametrize(("fmt", "blit"), TARGETS)
@pytest.mark.parametrize("color", [BUILTIN_SRGB, BUILTIN_BT1886_P3_LUT, BUILTIN_PQ_REC2020],
                         ids=["srgb", "bt1886-p3d65-lut", "pq-rec2020"])
def test_cached_builtin_wall_equals_the_full_pass_in_every_target_format(rig: WallRig, fmt: str, blit: str | None,
                                                                         color: WallColor) -> None:
    """The built-in output transform (no OCIO config) through the same caches: the LUT's 3D texture and the scene
    cache are bound side by side in the covered rectangle and the output cache pass."""
    warmer = replace(frame(15.0, 2.5, None), white_balance_k=4300.0, tint=0.2)  # a new output transform
    assert_cached_equals_full_pass(rig, fmt, blit, color, None, ((warmer, -0.1), (warmer, 0.3)))
