"""OpenGL 3.3 core foundation of the renderer: context providers, shader programs, textures, framebuffers.

Importing this package imports neither OpenGL nor glfw and has no side effects; the providers choose
PyOpenGL's platform when the first context is created (see :func:`renderer.gl.context.ensure_pyopengl_egl`).
Entry points that import ``OpenGL.GL`` at module top should call :func:`ensure_pyopengl_egl` first.
"""

from renderer.gl.context import (
    ContextKind,
    GLContext,
    GLContextError,
    GLError,
    GLInfo,
    PyOpenGLPlatformError,
    ensure_pyopengl_egl,
)
from renderer.gl.providers import create_context

__all__ = [
    "ContextKind",
    "GLContext",
    "GLContextError",
    "GLError",
    "GLInfo",
    "PyOpenGLPlatformError",
    "create_context",
    "ensure_pyopengl_egl",
]
