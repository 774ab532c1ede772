"""The small interface every GL context provider implements, and the factory that picks one.

Providers live one per file: :mod:`renderer.gl.egl` (headless, EGL surfaceless/device) and
:mod:`renderer.gl.window` (glfw windows). Both create their contexts through EGL so that a single
PyOpenGL platform (``egl``) serves the whole process; see :func:`ensure_pyopengl_egl`.

Nothing here imports OpenGL at module import time.
"""

from __future__ import annotations

import logging
import os
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Self

logger = logging.getLogger(__name__)

ContextKind = Literal["auto", "headless", "windowed"]

#: PyOpenGL platform keys that all resolve to ``OpenGL.platform.egl.EGLPlatform``.
_EGL_PLATFORM_KEYS = frozenset({"egl", "wayland", "xwayland"})


class GLError(RuntimeError):
    """Base of every typed error raised by :mod:`renderer.gl`."""


class GLContextError(GLError):
    """A GL context could not be created, made current or used. The message is one line."""


class PyOpenGLPlatformError(GLContextError):
    """PyOpenGL was already set up for a platform other than EGL in this process."""


@dataclass(frozen=True)
class GLInfo:
    """Identification strings of the current context's driver."""

    vendor: str
    renderer: str
    version: str
    glsl_version: str
    major: int
    minor: int
    core_profile: bool

    @property
    def version_tuple(self) -> tuple[int, int]:
        """``(major, minor)`` of the context as reported by ``GL_MAJOR_VERSION``/``GL_MINOR_VERSION``."""
        return (self.major, self.minor)


def ensure_pyopengl_egl() -> None:
    """Make sure PyOpenGL resolves GL entry points through EGL (``eglGetProcAddress``).

    PyOpenGL picks its platform plugin (GLX, EGL, ...) exactly once, when ``OpenGL.platform`` is first
    imported, from the ``PYOPENGL_PLATFORM`` environment variable (falling back to guessing GLX when
    ``DISPLAY`` is set). Our contexts are always EGL contexts - surfaceless ones for headless rendering
    and glfw windows created with ``GLFW_EGL_CONTEXT_API`` - so PyOpenGL must use the EGL platform, or
    it would look functions up with ``glXGetProcAddress`` and query the *GLX* current context.

    This is called by the providers at context-creation time, never at package import, so importing
    :mod:`renderer.gl` has no side effects. If ``OpenGL.platform`` has not been imported yet it sets
    ``PYOPENGL_PLATFORM=egl`` (the only way to choose the plugin). If it was already imported with a
    non-EGL platform, or the variable names another platform, it raises :class:`PyOpenGLPlatformError`
    rather than silently overriding the caller's choice.
    """
    platform_mod = sys.modules.get("OpenGL.platform")
    if platform_mod is not None:
        plugin = getattr(platform_mod, "PLATFORM", None)
        if type(plugin).__name__ != "EGLPlatform":
            raise PyOpenGLPlatformError(
                f"PyOpenGL was already imported with platform {type(plugin).__name__}; "
                "create the GL context before importing OpenGL.GL, or set PYOPENGL_PLATFORM=egl"
            )
        return
    current = os.environ.get("PYOPENGL_PLATFORM")
    if current is not None and current.lower() not in _EGL_PLATFORM_KEYS:
        raise PyOpenGLPlatformError(
            f"PYOPENGL_PLATFORM={current!r} conflicts with the EGL-based GL providers; unset it or set it to 'egl'"
        )
    if current is None:
        logger.debug("setting PYOPENGL_PLATFORM=egl before the first OpenGL import")
        os.environ["PYOPENGL_PLATFORM"] = "egl"


class GLContext(ABC):
    """An OpenGL 3.3+ core context. Use as a context manager, or call :meth:`close` when done.

    Contexts are not thread-safe; make a context current on the thread that uses it.
    """

    _closed: bool = False

    @property
    @abstractmethod
    def is_headless(self) -> bool:
        """True when the context has no window and renders only into framebuffer objects."""

    @abstractmethod
    def make_current(self) -> None:
        """Make this context current on the calling thread. Raises :class:`GLContextError` if closed."""

    @abstractmethod
    def _destroy(self) -> None:
        """Release the provider's resources. Called at most once, by :meth:`release`."""

    @property
    def closed(self) -> bool:
        """True after :meth:`release`/:meth:`close`."""
        return self._closed

    def release(self) -> None:
        """Destroy the context. Safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        self._destroy()

    def close(self) -> None:
        """Alias of :meth:`release`."""
        self.release()

    def _check_open(self) -> None:
        if self._closed:
            raise GLContextError(f"{type(self).__name__} is closed")

    def info(self) -> GLInfo:
        """Make the context current and return its vendor, renderer and version strings."""
        self.make_current()
        from OpenGL import GL  # deferred: the provider has chosen the PyOpenGL platform by now

        def text(name: int) -> str:
            raw = GL.glGetString(name)
            return raw.decode("utf-8", "replace") if raw else ""

        mask = int(GL.glGetIntegerv(GL.GL_CONTEXT_PROFILE_MASK))
        return GLInfo(
            vendor=text(GL.GL_VENDOR),
            renderer=text(GL.GL_RENDERER),
            version=text(GL.GL_VERSION),
            glsl_version=text(GL.GL_SHADING_LANGUAGE_VERSION),
            major=int(GL.glGetIntegerv(GL.GL_MAJOR_VERSION)),
            minor=int(GL.glGetIntegerv(GL.GL_MINOR_VERSION)),
            core_profile=bool(mask & GL.GL_CONTEXT_CORE_PROFILE_BIT),
        )

    def __enter__(self) -> Self:
        self.make_current()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
