"""Textures, framebuffers, programs and read-back on a real headless context (Mesa llvmpipe in CI).

Results that GL defines exactly (clears to k/255 colours, nearest-sampled texels, float32 copies) are compared
byte for byte, as moderngl's tests do.
"""

from __future__ import annotations

import numpy as np
import pytest

from renderer.gl import GLContext, ensure_pyopengl_egl
from renderer.gl.program import Program, ShaderError
from renderer.gl.resources import FULLSCREEN_VERTEX_SHADER, Framebuffer, FullscreenTriangle, Texture

# PyOpenGL fixes its platform at the first import of OpenGL.GL; our contexts are EGL ones.
ensure_pyopengl_egl()
from OpenGL import GL  # noqa: E402

pytestmark = pytest.mark.gl

BLIT_FRAGMENT_SHADER = """#version 330 core
in vec2 v_uv;
uniform sampler2D u_image;
out vec4 frag_color;
void main() { frag_color = texture(u_image, v_uv); }
"""


def blit(image: Texture, target: Framebuffer) -> np.ndarray:
    """Draw ``image`` over all of ``target`` with the fullscreen triangle and read the result back."""
    program = Program({"vertex": FULLSCREEN_VERTEX_SHADER, "fragment": BLIT_FRAGMENT_SHADER}, "blit")
    triangle = FullscreenTriangle()
    try:
        target.bind()
        program.use()
        image.bind(0)
        program.set_int("u_image", 0)
        triangle.draw()
        return target.read()
    finally:
        triangle.delete()
        program.delete()


def test_clear_framebuffer_reads_back_exact_bytes(gl_context: GLContext) -> None:
    framebuffer = Framebuffer(7, 5)  # odd width: rows are not 4-byte aligned
    framebuffer.bind()
    GL.glClearColor(0.2, 0.4, 0.8, 1.0)
    GL.glClear(GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT)
    pixels = framebuffer.read()
    framebuffer.delete()
    assert pixels.shape == (5, 7, 4) and pixels.dtype == np.uint8
    assert (pixels == np.array([51, 102, 204, 255], np.uint8)).all()


def test_textured_fullscreen_triangle_is_exact_and_row_zero_is_top(gl_context: GLContext) -> None:
    height, width = 6, 10
    image = np.zeros((height, width, 4), np.uint8)
    image[..., 0] = np.arange(width, dtype=np.uint8)[None, :] * 25  # left-to-right gradient
    image[..., 1] = np.arange(height, dtype=np.uint8)[:, None] * 40  # top-to-bottom gradient
    image[..., 3] = 255
    image[0] = (255, 0, 255, 255)  # a distinct top row
    texture = Texture.from_array(image)
    target = Framebuffer(width, height)
    GL.glDisable(GL.GL_DEPTH_TEST)  # the session context may come from a test that left it on
    GL.glDisable(GL.GL_BLEND)
    out = blit(texture, target)
    assert np.array_equal(texture.read(), image)
    texture.delete()
    target.delete()
    assert (out[0] == (255, 0, 255, 255)).all(), "row 0 of the read-back must be the top of the image"
    assert np.array_equal(out, image)


def test_float_texture_round_trips(gl_context: GLContext) -> None:
    rng = np.random.default_rng(7)
    rgba = (rng.random((5, 3, 4), dtype=np.float32) * 8.0 - 2.0).astype(np.float32)  # HDR, negatives too
    rgb = rng.random((4, 6, 3), dtype=np.float32) * 100.0
    rgba_texture, rgb_texture = Texture.from_array(rgba), Texture.from_array(rgb)
    assert (rgba_texture.fmt, rgb_texture.fmt) == ("rgba32f", "rgb32f")
    assert np.array_equal(rgba_texture.read(), rgba)
    assert np.array_equal(rgb_texture.read(), rgb)
    # Through a draw into a 32-bit float target: still exact.
    target = Framebuffer(3, 5, "rgba32f")
    drawn = blit(rgba_texture, target)
    assert drawn.dtype == np.float32 and np.array_equal(drawn, rgba)
    for resource in (rgba_texture, rgb_texture, target):
        resource.delete()


def test_half_float_framebuffer_holds_half_representable_values(gl_context: GLContext) -> None:
    values = (np.arange(2 * 4 * 4, dtype=np.float32).reshape(2, 4, 4) - 8.0) / 8.0
    source = Texture.from_array(values)
    target = Framebuffer(4, 2, "rgba16f", depth=False)
    drawn = blit(source, target)
    source.delete()
    target.delete()
    assert np.array_equal(drawn, values)


def test_shader_compile_error_names_stage_and_includes_log(gl_context: GLContext) -> None:
    broken = "#version 330 core\nout vec4 c;\nvoid main() { c = vec4(1.0) oops; }\n"
    with pytest.raises(ShaderError) as caught:
        Program({"vertex": FULLSCREEN_VERTEX_SHADER, "fragment": broken}, "wall_blit")
    error = caught.value
    assert error.stage == "fragment" and error.name == "wall_blit"
    assert str(error).startswith("fragment shader 'wall_blit' failed to compile:")
    assert error.log and error.log in str(error)
    assert "error" in error.log.lower()


def test_vertex_compile_and_link_errors_are_reported(gl_context: GLContext) -> None:
    with pytest.raises(ShaderError, match=r"^vertex shader 'v' failed to compile:\n.+"):
        Program({"vertex": "#version 330 core\nvoid main() { gl_Position = undefined_thing; }\n"}, "v")
    mismatched = "#version 330 core\nin vec3 v_uv;\nout vec4 c;\nvoid main() { c = vec4(v_uv, 1.0); }\n"  # vec2 out
    with pytest.raises(ShaderError, match=r"^program 'p' failed to link:\n.+") as caught:
        Program({"vertex": FULLSCREEN_VERTEX_SHADER, "fragment": mismatched}, "p")
    assert caught.value.stage == "program"


def test_framebuffer_has_depth_and_depth_test_works(gl_context: GLContext) -> None:
    target = Framebuffer(4, 4, depth=True)
    assert target.depth_handle
    target.bind()
    GL.glClearColor(0.0, 0.0, 0.0, 1.0)
    GL.glClearDepth(0.0)  # everything at z = 0.5 (the triangle) fails GL_LESS against a 0.0 depth buffer
    GL.glClear(GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT)
    GL.glEnable(GL.GL_DEPTH_TEST)
    GL.glDepthFunc(GL.GL_LESS)  # the session context may come from a test that changed it
    try:
        white = Texture.from_array(np.full((1, 1, 4), 255, np.uint8))
        out = blit(white, target)
        white.delete()
    finally:
        GL.glDisable(GL.GL_DEPTH_TEST)
        GL.glClearDepth(1.0)
    target.delete()
    assert (out == (0, 0, 0, 255)).all()


def test_bad_shapes_and_formats_are_rejected(gl_context: GLContext) -> None:
    texture = Texture(4, 2, "rgba8")
    with pytest.raises(ValueError, match="expects shape"):
        texture.upload(np.zeros((4, 2, 4), np.uint8))
    texture.delete()
    with pytest.raises(ValueError, match="no texture format"):
        Texture.from_array(np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(ValueError, match="framebuffer colour"):
        Framebuffer(2, 2, "rgb32f")
