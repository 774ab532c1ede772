"""OCIO's GPU processor compiled into the wall pass (headless EGL, llvmpipe) against OCIO's CPU processor: a grid of
test colours on a flat wall within one 10-bit code value for the ACES studio config's displays, with a look, with
the OpenVPCal-shaped config (a 3D LUT texture from its FileTransform), exposure, white balance, and a live
display switch. OCIO's own GPU tests do the same comparison (AcademySoftwareFoundation/OpenColorIO
``tests/gpu/GPUUnitTest.cpp``: CPU processor as reference, per-pixel tolerance)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from renderer.gl import GLContext
from stage.core.color.ocio import DisplayView, apply_cpu, display_processor, working_from_rec709
from stage.core.color.white_balance import white_balance_matrix
from stage.core.config.color import ColorManagement, WallColor
from tests.color.gl_rig import GridRig

pytestmark = pytest.mark.gl

REPO = Path(__file__).resolve().parents[2]
STUDIO = ColorManagement(ocio_config="ocio://studio-config-latest", working_space="ACEScg")
OPENVPCAL = ColorManagement(ocio_config=str(REPO / "configs" / "ocio" / "openvpcal-example" / "config.ocio"),
                            working_space="ACEScg")
CODE_10BIT = 1.0 / 1023.0
LEVELS = (0.0, 0.003, 0.02, 0.18, 0.6, 1.5, 4.0, 16.0)
GRID = np.array(list(itertools.product(LEVELS, repeat=3)))
"""512 scene-linear ACEScg colours: blacks, shadows, mid grey, highlights far above diffuse white, all hues."""

DISPLAYS = {
    "srgb": ("sRGB - Display", "ACES 2.0 - SDR 100 nits (Rec.709)"),
    "rec1886-rec709": ("Rec.1886 Rec.709 - Display", "ACES 2.0 - SDR 100 nits (Rec.709)"),
    "p3d65": ("Display P3 - Display", "ACES 2.0 - SDR 100 nits (P3 D65)"),
    "gamma26-p3d65": ("Gamma 2.6 P3-D65 - Display", "ACES 2.0 - SDR 100 nits (P3 D65)"),
    "rec2100-pq": ("Rec.2100-PQ - Display", "ACES 2.0 - HDR 1000 nits (P3 D65)"),
}


@pytest.fixture(scope="module")
def rig(gl_session_context: GLContext) -> Iterator[GridRig]:
    gl_session_context.make_current()
    r = GridRig()
    yield r
    gl_session_context.make_current()
    r.delete()


@pytest.fixture(autouse=True)
def _current(gl_context: GLContext) -> None:
    """Every test runs with the session context current."""


def cpu(management: ColorManagement, selection: DisplayView, colors: np.ndarray, lut: str | None = None) -> np.ndarray:
    processor = display_processor(management.ocio_config, management.working_space, selection, lut)
    return np.clip(apply_cpu(processor, colors), 0.0, 1.0)


def assert_within_one_code(gpu: np.ndarray, reference: np.ndarray, colors: np.ndarray) -> None:
    err = np.abs(gpu - reference).max(axis=1)
    worst = int(err.argmax())
    assert err[worst] <= CODE_10BIT, (f"{err[worst] / CODE_10BIT:.3f} 10-bit codes at {colors[worst]}: "
                                      f"GPU {gpu[worst]} vs CPU {reference[worst]}")


@pytest.mark.parametrize("name", sorted(DISPLAYS))
def test_gpu_equals_cpu_within_one_10bit_code(rig: GridRig, name: str) -> None:
    display, view = DISPLAYS[name]
    gpu = rig.render(GRID, WallColor(display=display, view=view), rig.frame(STUDIO))
    assert_within_one_code(gpu, cpu(STUDIO, DisplayView(display, view), GRID), GRID)  # llvmpipe: under 0.06


def test_the_displays_really_differ(rig: GridRig) -> None:
    """Guard against a test that passes because every variant draws the same thing."""
    outs = {name: rig.render(GRID[:64], WallColor(display=d, view=v), rig.frame(STUDIO))
            for name, (d, v) in DISPLAYS.items()}
    for a, b in itertools.combinations(outs, 2):
        assert np.abs(outs[a] - outs[b]).max() > 10 * CODE_10BIT, (a, b)


def test_look_before_the_view(rig: GridRig) -> None:
    look = "ACES 1.3 Reference Gamut Compression"
    selection = DisplayView("sRGB - Display", None, look)
    colors = np.array([[2.0, 0.01, 0.01], [0.01, 1.0, 0.01], [0.05, 0.2, 3.0], [0.18, 0.18, 0.18]])
    gpu = rig.render(colors, WallColor(display="sRGB - Display", look=look), rig.frame(STUDIO))
    assert_within_one_code(gpu, cpu(STUDIO, selection, colors), colors)


def test_openvpcal_config_with_its_3d_lut(rig: GridRig) -> None:
    for view in ("OpenVPCal main - ACEScg", "OpenVPCal PreCalibration"):
        selection = DisplayView("P3-D65 - BT.1886 - OpenVPCal LED", view)
        gpu = rig.render(GRID, WallColor(view=view), rig.frame(OPENVPCAL))
        assert_within_one_code(gpu, cpu(OPENVPCAL, selection, GRID), GRID)


def test_wall_lut_is_an_ocio_file_transform_on_the_display_signal(rig: GridRig) -> None:
    lut = str(REPO / "configs" / "luts" / "warm-17.cube")
    selection = DisplayView("Rec.1886 Rec.709 - Display")
    gpu = rig.render(GRID, WallColor(display=selection.display, lut=lut), rig.frame(STUDIO))
    assert_within_one_code(gpu, cpu(STUDIO, selection, GRID, lut), GRID)
    plain = cpu(STUDIO, selection, GRID)
    assert (gpu[:, 0] - gpu[:, 2]).mean() > (plain[:, 0] - plain[:, 2]).mean() + 0.01  # it warms


def test_exposure_and_white_balance_act_in_the_working_space(rig: GridRig) -> None:
    colors = GRID[::7]
    selection = DisplayView("sRGB - Display")
    gpu = rig.render(colors, WallColor(), rig.frame(STUDIO, exposure_ev=1.0))
    assert_within_one_code(gpu, cpu(STUDIO, selection, 2.0 * colors), colors)
    to_working = working_from_rec709(STUDIO.ocio_config, STUDIO.working_space)
    wb = to_working @ white_balance_matrix(3200.0) @ np.linalg.inv(to_working)
    gpu = rig.render(colors, WallColor(), rig.frame(STUDIO, white_balance_k=3200.0))
    assert_within_one_code(gpu, cpu(STUDIO, selection, colors @ wb.T), colors)
    grey = rig.render(np.array([[0.18, 0.18, 0.18]]), WallColor(), rig.frame(STUDIO, white_balance_k=3200.0))[0]
    assert grey[0] < grey[1] < grey[2]  # a 3200 K (tungsten) camera balance turns daylight content blue


def test_live_display_view_switch_overrides_the_config(rig: GridRig) -> None:
    colors = GRID[::9]
    live = {"w": DisplayView("Rec.2100-PQ - Display", "ACES 2.0 - HDR 1000 nits (P3 D65)")}
    gpu = rig.render(colors, WallColor(display="sRGB - Display"), rig.frame(STUDIO, views=live))
    assert_within_one_code(gpu, cpu(STUDIO, live["w"], colors), colors)
    surface_frame = rig.frame(STUDIO, views=live)
    assert rig.compositor.output_transform(rig.surface, surface_frame)[0].high_bit_depth
    assert not rig.compositor.output_transform(rig.surface, rig.frame(STUDIO))[0].high_bit_depth


def test_without_ocio_config_the_builtin_chain_draws(rig: GridRig) -> None:
    """No OCIO config: the historic chain, whatever WallFrame says about displays."""
    colors = np.array([[0.18, 0.18, 0.18]])
    gpu = rig.render(colors, WallColor(), rig.frame(ColorManagement(), views={"w": DisplayView("x")}))
    np.testing.assert_allclose(gpu[0], 1.055 * 0.18 ** (1 / 2.4) - 0.055, atol=1e-6)


def test_outer_cache_is_exact_and_follows_every_change(rig: GridRig) -> None:
    """OCIO walls draw the wall outside the inner frusta from a cache and the full pass only where an inner frustum
    covers (scissored). With an inner frustum over the right half of the wall, every pixel equals the uncached
    pass exactly, before and after the exposure, the cards and the outer frustum change, and at another origin."""
    from dataclasses import replace

    from OpenGL import GL

    from renderer.gl.wall_pass import WallCompositor

    right_half = np.array([[2.0, 0, 0, -1.0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1.0]])  # x 0..1 m → NDC x
    rig.inner.bind_layer(0)
    GL.glClearColor(0.3, 0.6, 0.9, 1.0)
    GL.glClear(GL.GL_COLOR_BUFFER_BIT)
    colors = GRID[100:108]
    color = WallColor(display="Rec.2100-PQ - Display")
    frame = replace(rig.frame(STUDIO), inner_clip=[right_half])
    plain = WallCompositor(cache_outer=False)
    cached = rig.compositor

    def both(frame, colors) -> tuple[np.ndarray, np.ndarray]:
        rig.compositor = plain
        b = rig.render(colors, color, frame, whole_row=True)
        rig.compositor = cached
        for _ in range(2):  # a new frame draws the whole wall; the same again draws the caches (then the rectangle)
            a = rig.render(colors, color, frame, whole_row=True)
            np.testing.assert_array_equal(a, b)
        a = rig.render(colors, color, frame, whole_row=True)  # the caches copied
        return a, b

    try:
        a, b = both(frame, colors)
        np.testing.assert_array_equal(a, b)
        inner_out = cpu(STUDIO, DisplayView("Rec.2100-PQ - Display"), np.array([[0.3, 0.6, 0.9]]))[0]
        assert np.abs(a[4:] - inner_out).max() <= CODE_10BIT  # the right half shows the inner frustum
        assert not np.allclose(a[:4], inner_out, atol=0.01)
        for changed in (replace(frame, exposure_gain=2.0), frame):  # exposure up, and back
            np.testing.assert_array_equal(*both(changed, colors))
        np.testing.assert_array_equal(*both(frame, colors[::-1]))  # the cards (one per pixel) change colour
        for face in range(6):  # the outer frustum is drawn again
            rig.outer.bind_face(face)
            GL.glClearColor(0.5, 0.2, 0.1, 1.0)
            GL.glClear(GL.GL_COLOR_BUFFER_BIT)
        a, b = both(frame, colors[:2])  # two cards: pixels 2..3 show the outer frustum
        np.testing.assert_array_equal(a, b)
        outer_out = cpu(STUDIO, DisplayView("Rec.2100-PQ - Display"), np.array([[0.5, 0.2, 0.1]]))[0]
        assert np.abs(a[2:4] - outer_out).max() <= CODE_10BIT
        np.testing.assert_array_equal(*both(replace(frame, inner_clip=[]), colors))  # no camera: all from cache
    finally:
        rig.compositor = cached
        plain.delete()
        for face in range(6):
            rig.outer.bind_face(face)
            GL.glClearColor(0.0, 0.0, 0.0, 1.0)
            GL.glClear(GL.GL_COLOR_BUFFER_BIT)


def test_camera_inner_look_applies_to_its_inner_frustum_only(rig: GridRig) -> None:
    """A camera's ``inner_look`` grades its inner frustum (in the working space, before compositing); the outer
    frustum beside it is untouched. GPU against OCIO's CPU processors (look, then the display)."""
    from dataclasses import replace

    from OpenGL import GL

    from stage.core.color.ocio import look_processor

    look = "ACES 1.3 Reference Gamut Compression"
    inner_color = np.array([[1.0, 0.0, 0.0]])  # on the AP1 boundary: the gamut compression moves it
    right_half = np.array([[2.0, 0, 0, -1.0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1.0]])
    rig.inner.bind_layer(0)
    GL.glClearColor(*inner_color[0], 1.0)
    GL.glClear(GL.GL_COLOR_BUFFER_BIT)
    display = DisplayView("sRGB - Display")
    colors = GRID[200:208]
    frame = replace(rig.frame(STUDIO), inner_clip=[right_half], inner_looks=(look,))
    out = rig.render(colors, WallColor(display="sRGB - Display"), frame, whole_row=True)
    graded = apply_cpu(look_processor(STUDIO.ocio_config, STUDIO.working_space, look), inner_color)
    expected_inner = cpu(STUDIO, display, graded)[0]
    assert not np.allclose(graded, inner_color, atol=1e-3)  # the look really does something here
    assert np.abs(out[4:] - expected_inner).max() <= CODE_10BIT
    assert_within_one_code(out[:4], cpu(STUDIO, display, colors[:4]), colors[:4])  # cards outside: no look
    plain = rig.render(colors, WallColor(display="sRGB - Display"), replace(frame, inner_looks=()), whole_row=True)
    assert np.abs(plain[4:] - cpu(STUDIO, display, inner_color)[0]).max() <= CODE_10BIT


def test_light_card_colour_space_is_converted_by_ocio(rig: GridRig) -> None:
    """A card whose colour is given in another colour space (here sRGB-encoded Rec.709, as picked on a monitor)
    is converted to the working space by OCIO, then multiplied by its intensity."""
    from dataclasses import replace

    from renderer.gl.resources import Framebuffer
    from stage.core.color.ocio import to_working

    picked = (0.8, 0.5, 0.2)
    space = "sRGB Encoded Rec.709 (sRGB)"
    rig.wall.color = WallColor(display="sRGB - Display")
    card = replace(rig.cards(np.array([picked]))[0], color_space=space, source_color=picked, intensity=2.0)
    fb = Framebuffer(rig.width_px, 1, "rgba32f", depth=False)
    try:
        fb.bind()
        rig.compositor.draw(rig.surface, (0, 0), rig.frame(STUDIO), rig.inner, rig.outer, [card])
        out = fb.read()[0, 0, :3].astype(np.float64)
    finally:
        fb.delete()
    working = 2.0 * np.asarray(to_working(STUDIO.ocio_config, STUDIO.working_space, space, picked))
    from stage.core.color.transfer import srgb_decode

    to_ap1 = working_from_rec709(STUDIO.ocio_config, STUDIO.working_space)  # sRGB decode (ours), then → AP1
    np.testing.assert_allclose(working / 2.0, to_ap1 @ srgb_decode(np.asarray(picked)), atol=1e-5)
    assert np.abs(out - cpu(STUDIO, DisplayView("sRGB - Display"), working[None])[0]).max() <= CODE_10BIT
