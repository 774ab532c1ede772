"""Choosing a context provider: :func:`create_context` picks headless EGL or a glfw window by an explicit ``kind``.

Kept apart from :mod:`renderer.gl.context` (the provider interface) so the providers import the interface and this
module imports the providers, never the other way round. Importing it imports neither OpenGL nor glfw.
"""

from __future__ import annotations

import logging

from renderer.gl.context import ContextKind, GLContext, GLContextError
from renderer.gl.egl import EGLHeadlessContext
from renderer.gl.window import GLFWWindowContext, display_available

logger = logging.getLogger(__name__)


def create_context(
    kind: ContextKind = "auto",
    *,
    size: tuple[int, int] = (1280, 720),
    title: str = "vpstage",
    monitor: int | None = None,
    vsync: bool = True,
    visible: bool = True,
    gl_version: tuple[int, int] = (3, 3),
    color_bits: int = 8,
) -> GLContext:
    """Create a GL context of the given ``kind``.

    ``"headless"``: an EGL context without any surface (render into FBOs). ``"windowed"``: a glfw window
    of ``size`` titled ``title``, fullscreen on monitor index ``monitor`` when given, with ``vsync`` and
    ``visible`` as asked, asking the display for ``color_bits`` per channel (10: RGB10_A2). ``"auto"``: windowed
    when a display exists (``DISPLAY`` or ``WAYLAND_DISPLAY`` is set and glfw initialises), else headless. The
    window options are ignored for headless contexts.
    The choice is made only by ``kind``; no environment variable overrides it.
    """
    if kind not in ("auto", "headless", "windowed"):
        raise GLContextError(f"unknown context kind {kind!r}; expected 'auto', 'headless' or 'windowed'")
    if kind == "auto":
        kind = "windowed" if display_available() else "headless"
        logger.info("auto context kind resolved to %s", kind)
    if kind == "headless":
        return EGLHeadlessContext(gl_version=gl_version)
    return GLFWWindowContext(
        size=size, title=title, monitor=monitor, vsync=vsync, visible=visible, gl_version=gl_version,
        color_bits=color_bits,
    )
