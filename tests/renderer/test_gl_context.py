"""Context providers: headless EGL on llvmpipe in-process; glfw windows under Xvfb in child processes.

Windowed and platform-state tests run in a child Python so that this process's PyOpenGL platform (EGL, chosen
once per process) and environment are never touched; every child has a timeout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from renderer.gl import GLContext, GLContextError, create_context

pytestmark = pytest.mark.gl
# Fixtures: gl_session_context, gl_context, xvfb_display (a no-op once a conftest registers the same module).

REPO_ROOT = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT_S = 60


def display_env(display: str | None) -> dict[str, str]:
    """This process's environment for a child GL process: ``DISPLAY=display`` (or none), no Wayland, and no
    ``PYOPENGL_PLATFORM``, so the child's providers choose it themselves."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "PYOPENGL_PLATFORM")}
    if display is not None:
        env["DISPLAY"] = display
    return env


def run_child(code: str, env: dict[str, str], *flags: str) -> dict:
    """Run ``code`` in a fresh interpreter; return the JSON object it prints on its last stdout line."""
    result = subprocess.run(
        [sys.executable, *flags, "-c", textwrap.dedent(code)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    assert result.returncode == 0, f"child failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_headless_context_is_gl33_core_with_renderer(gl_context: GLContext) -> None:
    info = gl_context.info()
    assert gl_context.is_headless
    assert info.version_tuple >= (3, 3)
    assert info.core_profile
    assert info.renderer
    assert info.vendor
    assert "(Core Profile)" in info.version, f"GL_VERSION {info.version!r} should name the core profile (Mesa does)"


def test_two_contexts_in_sequence_and_idempotent_close(gl_session_context: GLContext) -> None:
    from OpenGL import GL

    from renderer.gl.resources import Framebuffer

    for _ in range(2):
        with create_context("headless") as context:
            assert context.info().version_tuple >= (3, 3)
            scratch = Framebuffer(1, 1, depth=False)
            scratch.bind()
            GL.glClear(GL.GL_COLOR_BUFFER_BIT)
            scratch.delete()
        assert context.closed
        context.close()
        context.release()
        with pytest.raises(GLContextError, match="closed"):
            context.make_current()
    # Closing those must not have torn down the shared EGL display under the session context.
    gl_session_context.make_current()
    framebuffer = Framebuffer(2, 2)
    framebuffer.bind()
    GL.glClearColor(0.0, 1.0, 0.0, 1.0)
    GL.glClear(GL.GL_COLOR_BUFFER_BIT)
    assert (framebuffer.read() == np.array([0, 255, 0, 255], np.uint8)).all()
    framebuffer.delete()


def test_unknown_kind_is_a_typed_error() -> None:
    with pytest.raises(GLContextError, match="unknown context kind"):
        create_context("offscreen")  # type: ignore[arg-type]


def test_package_import_has_no_gl_side_effects() -> None:
    out = run_child(
        """
        import json, os, sys
        import renderer.gl, renderer.gl.context, renderer.gl.program, renderer.gl.resources
        print(json.dumps({"opengl": "OpenGL.platform" in sys.modules, "glfw": "glfw" in sys.modules,
                          "env": "PYOPENGL_PLATFORM" in os.environ}))
        """,
        display_env(None),
    )
    assert out == {"opengl": False, "glfw": False, "env": False}


CONFLICT_CHILD = """
import json, sys
if sys.argv[1:] == ["import-first"]:
    import OpenGL.GL  # no PYOPENGL_PLATFORM and no DISPLAY: PyOpenGL settles on GLX
from renderer.gl import PyOpenGLPlatformError, create_context
try:
    create_context("headless").close()
    print(json.dumps({"error": None}))
except PyOpenGLPlatformError as exc:
    print(json.dumps({"error": str(exc)}))
"""


def test_conflicting_pyopengl_platform_variable_is_a_typed_error() -> None:
    out = run_child(CONFLICT_CHILD, dict(display_env(None), PYOPENGL_PLATFORM="glx"))
    assert "PYOPENGL_PLATFORM='glx'" in out["error"]
    assert "\n" not in out["error"]


def test_opengl_imported_with_another_platform_is_a_typed_error() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CONFLICT_CHILD, "import-first"],
        cwd=REPO_ROOT,
        env=display_env(None),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stderr
    error = json.loads(result.stdout.strip().splitlines()[-1])["error"]
    assert "already imported with platform GLXPlatform" in error


WINDOW_CHILD = """
import json, os
import numpy as np
from PIL import ImageGrab
import glfw
from renderer.gl import create_context
from renderer.gl.resources import read_pixels

context = create_context("windowed", size=(64, 48), title="vpstage test", vsync=False, visible=True)
from OpenGL import GL

width, height = context.framebuffer_size
GL.glViewport(0, 0, width, height)
GL.glClearColor(0.2, 0.4, 0.8, 1.0)  # exact bytes 51, 102, 204
GL.glClear(GL.GL_COLOR_BUFFER_BIT)
GL.glEnable(GL.GL_SCISSOR_TEST)
GL.glScissor(0, height - 1, width, 1)  # GL's last row is the image's top row
GL.glClearColor(0.0, 1.0, 0.0, 1.0)
GL.glClear(GL.GL_COLOR_BUFFER_BIT)
GL.glDisable(GL.GL_SCISSOR_TEST)
back = read_pixels(width, height)
context.swap()
context.poll_events()
x, y = glfw.get_window_pos(context.glfw_window)
screen = np.asarray(ImageGrab.grab(xdisplay=os.environ["DISPLAY"]))[y:y + height, x:x + width]
info = context.info()
result = {
    "headless": context.is_headless, "size": [width, height], "version": info.version,
    "major_minor": list(info.version_tuple), "core": info.core_profile, "renderer": info.renderer,
    "should_close": context.should_close(),
    "back_top": back[0, 0].tolist(), "back_below_top": back[1, 0].tolist(), "back_bottom": back[-1, -1].tolist(),
    "screen_top": screen[0, 0].tolist(), "screen_rest": np.unique(screen[1:].reshape(-1, 3), axis=0).tolist(),
}
context.close()
context.close()
print(json.dumps(result))
"""


@pytest.mark.windowed
def test_windowed_context_under_xvfb_draws_swaps_and_reads_back(xvfb_display: str) -> None:
    out = run_child(WINDOW_CHILD + "\n", display_env(xvfb_display), "-O")
    del out["version"]
    assert out["headless"] is False
    assert out["size"] == [64, 48]
    assert tuple(out["major_minor"]) >= (3, 3) and out["core"]
    assert out["renderer"]
    assert out["should_close"] is False
    assert out["back_top"] == [0, 255, 0, 255]
    assert out["back_below_top"] == out["back_bottom"] == [51, 102, 204, 255]
    # What the X server shows after swap(): the same picture, top row on top.
    assert out["screen_top"] == [0, 255, 0]
    assert out["screen_rest"] == [[51, 102, 204]]


AUTO_CHILD = """
import json
from renderer.gl import create_context
context = create_context("auto", size=(32, 32), visible=False)
print(json.dumps({"headless": context.is_headless, "version": list(context.info().version_tuple)}))
context.close()
"""


@pytest.mark.windowed
def test_auto_picks_windowed_when_a_display_exists(xvfb_display: str) -> None:
    out = run_child(AUTO_CHILD, display_env(xvfb_display))
    assert out["headless"] is False
    assert tuple(out["version"]) >= (3, 3)


def test_auto_picks_headless_without_a_display() -> None:
    out = run_child(AUTO_CHILD, display_env(None))
    assert out["headless"] is True
    assert tuple(out["version"]) >= (3, 3)


def test_auto_picks_headless_when_the_display_is_unreachable() -> None:
    out = run_child(AUTO_CHILD, display_env(":65000"))  # set, but no server there: glfw init fails
    assert out["headless"] is True


def test_windowed_without_a_display_is_a_one_line_typed_error() -> None:
    out = run_child(
        """
        import json
        from renderer.gl import GLContextError, create_context
        try:
            create_context("windowed")
            print(json.dumps({"error": None}))
        except GLContextError as exc:
            print(json.dumps({"error": str(exc)}))
        """,
        display_env(None),
    )
    assert out["error"] and out["error"].startswith("glfw init failed")
    assert "\n" not in out["error"]
