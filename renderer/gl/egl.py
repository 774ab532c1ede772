"""Headless OpenGL through EGL: a core-profile context made current without any surface.

Display choice, first that yields a working GL 3.3+ core context wins:

1. ``EGL_MESA_platform_surfaceless`` via ``eglGetPlatformDisplayEXT`` (Mesa; llvmpipe on CPU-only hosts),
2. ``EGL_EXT_platform_device``: each device from ``eglQueryDevicesEXT`` (NVIDIA's proprietary driver),
3. ``eglGetDisplay(EGL_DEFAULT_DISPLAY)``.

The context is made current with ``EGL_NO_SURFACE`` for draw and read (``EGL_KHR_surfaceless_context``), so
all rendering goes to framebuffer objects. PyOpenGL is switched to its EGL platform at creation time; see
:func:`renderer.gl.context.ensure_pyopengl_egl`.

``eglInitialize`` on an already-initialised display is a no-op and ``eglTerminate`` tears down every
context on it, so displays are reference-counted here and terminated only when the last context closes.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Iterator
from typing import Any

from renderer.gl.context import GLContext, GLContextError, ensure_pyopengl_egl

logger = logging.getLogger(__name__)

EGL_PLATFORM_DEVICE_EXT = 0x313F
EGL_PLATFORM_SURFACELESS_MESA = 0x31DD
_MAX_DEVICES = 16

# display address -> number of live contexts created on it by this module
_display_refs: dict[int, int] = {}


def _load_egl() -> Any:
    """Import ``OpenGL.EGL`` with PyOpenGL on its EGL platform, mapping a missing libEGL to a typed error."""
    ensure_pyopengl_egl()
    try:
        from OpenGL import EGL
    except (ImportError, OSError) as exc:
        raise GLContextError(f"no EGL display: libEGL not found (apt-get install libegl1 libegl-mesa0): {exc}") from exc
    return EGL


def _address(handle: Any) -> int:
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


def _split(raw: bytes | None) -> frozenset[str]:
    return frozenset(raw.decode("ascii", "replace").split()) if raw else frozenset()


def _client_extensions(EGL: Any) -> frozenset[str]:  # noqa: N803 - the module keeps its GL name
    from OpenGL.error import Error

    try:
        return _split(EGL.eglQueryString(EGL.EGL_NO_DISPLAY, EGL.EGL_EXTENSIONS))
    except Error:  # EGL_EXT_client_extensions unsupported: EGL_BAD_DISPLAY
        return frozenset()


def _proc(EGL: Any, name: str, restype: Any, *argtypes: Any) -> Any:  # noqa: N803
    address = EGL.eglGetProcAddress(name.encode("ascii"))
    if not address:
        return None
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


def _candidate_displays(EGL: Any) -> Iterator[tuple[str, Any]]:  # noqa: N803
    """Yield ``(label, EGLDisplay)`` in order of preference; displays are not yet initialised."""
    client = _client_extensions(EGL)
    get_platform_display = None
    if "EGL_EXT_platform_base" in client:
        get_platform_display = _proc(
            EGL, "eglGetPlatformDisplayEXT", EGL.EGLDisplay, EGL.EGLenum, ctypes.c_void_p, ctypes.POINTER(EGL.EGLint)
        )
    if get_platform_display is not None and "EGL_MESA_platform_surfaceless" in client:
        yield "surfaceless", get_platform_display(EGL_PLATFORM_SURFACELESS_MESA, None, None)
    if get_platform_display is not None and "EGL_EXT_platform_device" in client:
        query_devices = _proc(
            EGL,
            "eglQueryDevicesEXT",
            EGL.EGLBoolean,
            EGL.EGLint,
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.POINTER(EGL.EGLint),
        )
        if query_devices is not None:
            devices = (ctypes.c_void_p * _MAX_DEVICES)()
            count = EGL.EGLint(0)
            if query_devices(_MAX_DEVICES, devices, ctypes.byref(count)):
                for index in range(count.value):
                    yield f"device {index}", get_platform_display(EGL_PLATFORM_DEVICE_EXT, devices[index], None)
    yield "default", EGL.eglGetDisplay(EGL.EGL_DEFAULT_DISPLAY)


def _retain_display(EGL: Any, display: Any) -> tuple[int, int]:  # noqa: N803
    """Initialise ``display`` (or bump its reference count) and return the EGL version."""
    major, minor = EGL.EGLint(0), EGL.EGLint(0)
    if not EGL.eglInitialize(display, ctypes.byref(major), ctypes.byref(minor)):
        raise GLContextError("eglInitialize failed")
    key = _address(display)
    _display_refs[key] = _display_refs.get(key, 0) + 1
    return major.value, minor.value


def _release_display(EGL: Any, display: Any) -> None:  # noqa: N803
    key = _address(display)
    remaining = _display_refs.get(key, 1) - 1
    if remaining > 0:
        _display_refs[key] = remaining
        return
    _display_refs.pop(key, None)
    EGL.eglTerminate(display)


def _create_on(EGL: Any, display: Any, gl_version: tuple[int, int]) -> Any:  # noqa: N803
    """Create a core-profile context on an initialised ``display``; raise :class:`GLContextError` if impossible."""
    extensions = _split(EGL.eglQueryString(display, EGL.EGL_EXTENSIONS))
    if "EGL_KHR_surfaceless_context" not in extensions:
        raise GLContextError("display lacks EGL_KHR_surfaceless_context")
    if not EGL.eglBindAPI(EGL.EGL_OPENGL_API):
        raise GLContextError("eglBindAPI(EGL_OPENGL_API) failed")
    # SURFACE_TYPE 0 = no surface requirement; we never create one.
    config_attribs = (EGL.EGLint * 5)(
        EGL.EGL_RENDERABLE_TYPE, EGL.EGL_OPENGL_BIT, EGL.EGL_SURFACE_TYPE, 0, EGL.EGL_NONE
    )
    config = EGL.EGLConfig()
    count = EGL.EGLint(0)
    chosen = EGL.eglChooseConfig(display, config_attribs, ctypes.byref(config), 1, ctypes.byref(count))
    if not chosen or not count.value:
        raise GLContextError("no EGL config with EGL_OPENGL_BIT")
    context_attribs = (EGL.EGLint * 7)(
        EGL.EGL_CONTEXT_MAJOR_VERSION,
        gl_version[0],
        EGL.EGL_CONTEXT_MINOR_VERSION,
        gl_version[1],
        EGL.EGL_CONTEXT_OPENGL_PROFILE_MASK,
        EGL.EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
        EGL.EGL_NONE,
    )
    context = EGL.eglCreateContext(display, config, EGL.EGL_NO_CONTEXT, context_attribs)
    if not _address(context):
        raise GLContextError(f"eglCreateContext for GL {gl_version[0]}.{gl_version[1]} core failed")
    return context


class EGLHeadlessContext(GLContext):
    """A surfaceless EGL OpenGL core context; the first one found on the candidate displays."""

    def __init__(self, gl_version: tuple[int, int] = (3, 3)) -> None:
        self._egl = EGL = _load_egl()  # noqa: N806 - first: picks PyOpenGL's platform before any OpenGL import
        from OpenGL.error import Error

        self._display: Any = None
        self._context: Any = None
        failures: list[str] = []
        for label, display in _candidate_displays(EGL):
            if not _address(display):
                failures.append(f"{label}: no display")
                continue
            try:
                egl_version = _retain_display(EGL, display)
            except (GLContextError, Error) as exc:
                failures.append(f"{label}: {_reason(exc)}")
                continue
            try:
                context = _create_on(EGL, display, gl_version)
            except (GLContextError, Error) as exc:
                failures.append(f"{label}: {_reason(exc)}")
                _release_display(EGL, display)
                continue
            self._display, self._context = display, context
            self.display_kind = label
            logger.info("EGL %d.%d headless context on the %s display", *egl_version, label)
            break
        else:
            raise GLContextError("no EGL display gives a GL core context: " + "; ".join(failures))
        self.make_current()

    @property
    def is_headless(self) -> bool:
        return True

    def make_current(self) -> None:
        self._check_open()
        EGL = self._egl  # noqa: N806
        if not EGL.eglMakeCurrent(self._display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE, self._context):
            raise GLContextError("eglMakeCurrent without a surface failed")

    def _destroy(self) -> None:
        EGL = self._egl  # noqa: N806
        if _address(EGL.eglGetCurrentContext()) == _address(self._context):
            EGL.eglMakeCurrent(self._display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE, EGL.EGL_NO_CONTEXT)
        EGL.eglDestroyContext(self._display, self._context)
        _release_display(EGL, self._display)
        self._context = self._display = None
        logger.debug("EGL headless context destroyed")


def _reason(exc: BaseException) -> str:
    """One-line reason from a GLContextError or a PyOpenGL EGLError."""
    err = getattr(exc, "err", None)
    return str(err) if err is not None and not isinstance(exc, GLContextError) else str(exc).splitlines()[0]
