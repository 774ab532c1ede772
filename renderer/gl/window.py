"""Windowed OpenGL through glfw: one window (and context) per output.

The context is created with ``GLFW_CONTEXT_CREATION_API = GLFW_EGL_CONTEXT_API`` rather than GLX, so the same
PyOpenGL platform (EGL) serves windows and headless contexts in one process; on X11 Mesa's EGL drives
Xvfb and real X servers alike. glfw reads the display from ``DISPLAY``/``WAYLAND_DISPLAY`` of this process
when it initialises; to open a window on a particular display, run the process with that environment.

glfw must be used from the main thread. glfw is initialised when the first window opens and terminated when
the last one closes.
"""

from __future__ import annotations

import ctypes
import logging
import os
from typing import Any

from renderer.gl.context import GLContext, GLContextError, ensure_pyopengl_egl

logger = logging.getLogger(__name__)

_live_windows = 0


def _glfw() -> Any:
    """Import glfw with errors reported as exceptions (the wrapper's default only warns)."""
    try:
        import glfw
    except ImportError as exc:  # the glfw wheel bundles libglfw; a missing one means a broken install
        raise GLContextError(f"glfw unavailable: {exc}") from exc
    glfw.ERROR_REPORTING = "raise"
    return glfw


def _glfw_init(glfw: Any) -> None:
    try:
        ok = glfw.init()
    except glfw.GLFWError as exc:
        raise GLContextError(f"glfw init failed: {_one_line(exc)}") from exc
    if not ok:
        raise GLContextError("glfw init failed")


def display_available() -> bool:
    """True when ``DISPLAY`` or ``WAYLAND_DISPLAY`` is set and glfw initialises on it."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    glfw = _glfw()
    try:
        _glfw_init(glfw)
    except GLContextError as exc:
        logger.info("display set but unusable: %s", exc)
        return False
    if _live_windows == 0:
        glfw.terminate()
    return True


def _back_buffer_bits() -> int:
    """Red bits of the current context's back buffer (the default framebuffer)."""
    from OpenGL import GL

    previous = int(GL.glGetIntegerv(GL.GL_DRAW_FRAMEBUFFER_BINDING))
    GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, 0)
    try:
        return int(GL.glGetFramebufferAttachmentParameteriv(GL.GL_DRAW_FRAMEBUFFER, GL.GL_BACK_LEFT,
                                                            GL.GL_FRAMEBUFFER_ATTACHMENT_RED_SIZE))
    finally:
        GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, previous)


def _address(handle: Any) -> int:
    return ctypes.cast(handle, ctypes.c_void_p).value or 0 if handle else 0


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class GLFWWindowContext(GLContext):
    """A glfw window with an OpenGL core context created through EGL."""

    def __init__(
        self,
        size: tuple[int, int] = (1280, 720),
        title: str = "vpstage",
        monitor: int | None = None,
        vsync: bool = True,
        visible: bool = True,
        gl_version: tuple[int, int] = (3, 3),
        color_bits: int = 8,
    ) -> None:
        global _live_windows
        ensure_pyopengl_egl()
        self._glfw = glfw = _glfw()
        _glfw_init(glfw)
        try:
            self._window = self._open(glfw, size, title, monitor, visible, gl_version, color_bits)
        except BaseException:
            if _live_windows == 0:
                glfw.terminate()
            raise
        _live_windows += 1
        self.make_current()
        self.swap_interval = 1 if vsync else 0
        """Vertical blanks a swap waits for (1: vsync; set on this window's context at creation)."""
        glfw.swap_interval(self.swap_interval)
        self.color_bits = _back_buffer_bits()
        """Bits per colour channel of the window's framebuffer as the display gave it (it may give fewer than
        asked: a 10-bit framebuffer needs a depth-30 X screen)."""
        logger.info("glfw window %r %dx%d (framebuffer %dx%d, %d bits per channel)", title, *size,
                    *self.framebuffer_size, self.color_bits)

    @staticmethod
    def _open(
        glfw: Any,
        size: tuple[int, int],
        title: str,
        monitor: int | None,
        visible: bool,
        gl_version: tuple[int, int],
        color_bits: int = 8,
    ) -> Any:
        target = None
        if monitor is not None:
            monitors = glfw.get_monitors()
            if not 0 <= monitor < len(monitors):
                raise GLContextError(f"monitor index {monitor} out of range: {len(monitors)} monitor(s) connected")
            target = monitors[monitor]
        glfw.default_window_hints()
        glfw.window_hint(glfw.CLIENT_API, glfw.OPENGL_API)
        glfw.window_hint(glfw.CONTEXT_CREATION_API, glfw.EGL_CONTEXT_API)
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, gl_version[0])
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, gl_version[1])
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
        glfw.window_hint(glfw.VISIBLE, visible)
        if color_bits > 8:  # RGB10_A2 (X: a depth-30 visual); glfw takes the closest config the display has
            for hint in (glfw.RED_BITS, glfw.GREEN_BITS, glfw.BLUE_BITS):
                glfw.window_hint(hint, color_bits)
            glfw.window_hint(glfw.ALPHA_BITS, 2)
        width, height = size
        if target is not None:
            mode = glfw.get_video_mode(target)
            glfw.window_hint(glfw.REFRESH_RATE, mode.refresh_rate)
            width, height = mode.size.width, mode.size.height
        try:
            window = glfw.create_window(width, height, title, target, None)
        except glfw.GLFWError as exc:
            raise GLContextError(f"glfw window creation failed: {_one_line(exc)}") from exc
        if not window:
            raise GLContextError("glfw window creation failed")
        return window

    @property
    def is_headless(self) -> bool:
        return False

    @property
    def glfw_window(self) -> Any:
        """The underlying glfw window handle, for glfw calls this class does not wrap (input, position)."""
        self._check_open()
        return self._window

    @property
    def framebuffer_size(self) -> tuple[int, int]:
        """``(width, height)`` of the default framebuffer in pixels."""
        self._check_open()
        width, height = self._glfw.get_framebuffer_size(self._window)
        return int(width), int(height)

    def make_current(self) -> None:
        self._check_open()
        self._glfw.make_context_current(self._window)

    def swap(self) -> None:
        """Present the back buffer (waits for vertical blank when vsync is on)."""
        self._check_open()
        self._glfw.swap_buffers(self._window)

    def poll_events(self) -> None:
        """Process pending window-system events for all windows."""
        self._check_open()
        self._glfw.poll_events()

    def is_hidden(self) -> bool:
        """True while the window is minimised (iconified: on X11 the window manager unmapped it and set
        ``WM_STATE`` to ``IconicState``, which glfw reads) — nobody sees a swap then, and a vsync'd swap of a
        window that is not shown may block until it is shown again on some drivers."""
        self._check_open()
        return bool(self._glfw.get_window_attrib(self._window, self._glfw.ICONIFIED))

    def should_close(self) -> bool:
        """True once the user asked to close the window."""
        self._check_open()
        return bool(self._glfw.window_should_close(self._window))

    def _destroy(self) -> None:
        global _live_windows
        glfw = self._glfw
        if _address(glfw.get_current_context()) == _address(self._window):
            glfw.make_context_current(None)
        glfw.destroy_window(self._window)
        self._window = None
        _live_windows -= 1
        if _live_windows == 0:
            glfw.terminate()
        logger.debug("glfw window destroyed")
