"""Textures, framebuffers, the fullscreen-triangle VAO and pixel read-back, in numpy terms.

Row convention: numpy images have row 0 at the **top** (see ``docs``/CONVENTIONS). GL stores rows bottom-up,
so :meth:`Texture.upload` flips rows on the way in (texture coordinate ``v = 1`` is the image's top row) and
:func:`read_pixels` flips them on the way out. A texture drawn with :class:`FullscreenTriangle` and read back
therefore equals the array it was uploaded from.

OpenGL is imported inside the functions, so importing this module does not choose PyOpenGL's platform;
create a context (:func:`renderer.gl.create_context`) first and keep it current while using these objects.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import numpy as np

from renderer.gl.context import GLError

logger = logging.getLogger(__name__)

TextureFormat = Literal["rgba8", "rgb10_a2", "rgba16f", "rgba32f", "rgb32f"]


@dataclass(frozen=True)
class _Format:
    internal: str  # GL enum names, resolved when a context exists
    pixel_format: str
    pixel_type: str
    channels: int
    dtype: type[np.generic]


_FORMATS: dict[str, _Format] = {
    "rgba8": _Format("GL_RGBA8", "GL_RGBA", "GL_UNSIGNED_BYTE", 4, np.uint8),
    # 10 bits per colour (an HDR output's signal); read back as uint16, 0–65535 (GL's unorm10 → unorm16)
    "rgb10_a2": _Format("GL_RGB10_A2", "GL_RGBA", "GL_UNSIGNED_SHORT", 4, np.uint16),
    "rgba16f": _Format("GL_RGBA16F", "GL_RGBA", "GL_FLOAT", 4, np.float32),
    "rgba32f": _Format("GL_RGBA32F", "GL_RGBA", "GL_FLOAT", 4, np.float32),
    "rgb32f": _Format("GL_RGB32F", "GL_RGB", "GL_FLOAT", 3, np.float32),
}

#: Vertex shader for :class:`FullscreenTriangle`: one triangle covering clip space, ``v_uv`` in [0, 1] over the
#: viewport with ``(0, 0)`` at the bottom-left - i.e. ``v_uv.y = 1`` is the top of the image.
FULLSCREEN_VERTEX_SHADER = """#version 330 core
out vec2 v_uv;
void main() {
    vec2 corner = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
    v_uv = corner;
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
"""


_BINDINGS = {
    "GL_TEXTURE_1D": "GL_TEXTURE_BINDING_1D",
    "GL_TEXTURE_2D": "GL_TEXTURE_BINDING_2D",
    "GL_TEXTURE_3D": "GL_TEXTURE_BINDING_3D",
    "GL_TEXTURE_2D_ARRAY": "GL_TEXTURE_BINDING_2D_ARRAY",
    "GL_TEXTURE_CUBE_MAP": "GL_TEXTURE_BINDING_CUBE_MAP",
}


@contextmanager
def kept_binding(target: str) -> Iterator[None]:
    """Run the block, then give the active texture unit back the texture it had bound to ``target`` (a GL enum
    name, e.g. ``"GL_TEXTURE_2D"``). Creating, uploading or reading a texture binds it to the active unit; a pass
    that creates one lazily between binding its inputs and drawing (an OCIO processor's tables the first time a
    wall shows it) would otherwise replace one of those inputs."""
    from OpenGL import GL

    previous = int(GL.glGetIntegerv(getattr(GL, _BINDINGS[target])))
    try:
        yield
    finally:
        GL.glBindTexture(getattr(GL, target), previous)


class FramebufferError(GLError):
    """A framebuffer is incomplete, or a resource was given data it cannot hold."""


def _gl_enum(name: str) -> int:
    from OpenGL import GL

    return int(getattr(GL, name))


class Texture:
    """A 2D texture of one of :data:`TextureFormat`, clamped to edge, nearest or linear filtered."""

    def __init__(
        self,
        width: int,
        height: int,
        fmt: TextureFormat = "rgba8",
        *,
        linear: bool = False,
        data: np.ndarray | None = None,
    ) -> None:
        from OpenGL import GL

        if fmt not in _FORMATS:
            raise ValueError(f"unknown texture format {fmt!r}; expected one of {sorted(_FORMATS)}")
        if width <= 0 or height <= 0:
            raise ValueError(f"texture size must be positive, got {width}x{height}")
        self.width, self.height, self.fmt = int(width), int(height), fmt
        self.handle = int(GL.glGenTextures(1))
        with kept_binding("GL_TEXTURE_2D"):
            self._allocate(linear)
        if data is not None:
            self.upload(data)

    def _allocate(self, linear: bool) -> None:
        from OpenGL import GL

        spec = _FORMATS[self.fmt]
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.handle)
        filt = GL.GL_LINEAR if linear else GL.GL_NEAREST
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, filt)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAG_FILTER, filt)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_S, GL.GL_CLAMP_TO_EDGE)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_T, GL.GL_CLAMP_TO_EDGE)
        GL.glTexImage2D(
            GL.GL_TEXTURE_2D,
            0,
            _gl_enum(spec.internal),
            self.width,
            self.height,
            0,
            _gl_enum(spec.pixel_format),
            _gl_enum(spec.pixel_type),
            None,
        )

    @classmethod
    def from_array(cls, image: np.ndarray, fmt: TextureFormat | None = None, *, linear: bool = False) -> Texture:
        """Create a texture holding ``image`` (H x W x C, row 0 top).

        The format defaults from the array: uint8 x4 -> ``rgba8``, float32 x4 -> ``rgba32f``,
        float32 x3 -> ``rgb32f``.
        """
        if image.ndim != 3:
            raise ValueError(f"expected an H x W x C image, got shape {image.shape}")
        if fmt is None:
            inferred = {(np.dtype(np.uint8), 4): "rgba8", (np.dtype(np.float32), 4): "rgba32f"}
            inferred[(np.dtype(np.float32), 3)] = "rgb32f"
            key = (image.dtype, image.shape[2])
            if key not in inferred:
                raise ValueError(f"no texture format for {image.dtype} with {image.shape[2]} channels; pass fmt")
            fmt = inferred[key]  # type: ignore[assignment]
        return cls(image.shape[1], image.shape[0], fmt, linear=linear, data=image)  # type: ignore[arg-type]

    def upload(self, image: np.ndarray) -> None:
        """Replace the whole texture with ``image`` (H x W x C, row 0 top); rows are flipped for GL here."""
        from OpenGL import GL

        spec = _FORMATS[self.fmt]
        expected = (self.height, self.width, spec.channels)
        if image.shape != expected:
            raise ValueError(f"{self.fmt} texture expects shape {expected}, got {image.shape}")
        pixels = np.ascontiguousarray(image[::-1], dtype=spec.dtype)
        with kept_binding("GL_TEXTURE_2D"):
            GL.glBindTexture(GL.GL_TEXTURE_2D, self.handle)
            GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
            GL.glTexSubImage2D(GL.GL_TEXTURE_2D, 0, 0, 0, self.width, self.height, _gl_enum(spec.pixel_format),
                               _gl_enum(spec.pixel_type), pixels)

    def read(self) -> np.ndarray:
        """Download the texture as H x W x C (row 0 top), uint8 for ``rgba8`` and float32 otherwise."""
        from OpenGL import GL

        spec = _FORMATS[self.fmt]
        out = np.empty((self.height, self.width, spec.channels), dtype=spec.dtype)
        with kept_binding("GL_TEXTURE_2D"):
            GL.glBindTexture(GL.GL_TEXTURE_2D, self.handle)
            GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
            GL.glGetTexImage(GL.GL_TEXTURE_2D, 0, _gl_enum(spec.pixel_format), _gl_enum(spec.pixel_type), out)
        return out[::-1].copy()

    def bind(self, unit: int = 0) -> None:
        """Bind to texture unit ``unit``."""
        from OpenGL import GL

        GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.handle)

    def delete(self) -> None:
        """Delete the GL texture; safe to call twice."""
        if self.handle:
            from OpenGL import GL

            GL.glDeleteTextures([self.handle])
            self.handle = 0


class Framebuffer:
    """An FBO with one colour texture (``rgba8``, ``rgba16f`` or ``rgba32f``) and an optional 24-bit depth buffer."""

    def __init__(self, width: int, height: int, color: TextureFormat = "rgba8", *, depth: bool = True) -> None:
        from OpenGL import GL

        if color == "rgb32f":
            raise ValueError("framebuffer colour must be rgba8, rgb10_a2, rgba16f or rgba32f")
        self.width, self.height = int(width), int(height)
        self.color = Texture(width, height, color)
        self.depth_handle = 0
        self.handle = int(GL.glGenFramebuffers(1))
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.handle)
        GL.glFramebufferTexture2D(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_TEXTURE_2D, self.color.handle, 0)
        if depth:
            self.depth_handle = int(GL.glGenRenderbuffers(1))
            GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, self.depth_handle)
            GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, GL.GL_DEPTH_COMPONENT24, self.width, self.height)
            GL.glFramebufferRenderbuffer(
                GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT, GL.GL_RENDERBUFFER, self.depth_handle
            )
        status = int(GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER))
        if status != GL.GL_FRAMEBUFFER_COMPLETE:
            self.delete()
            raise FramebufferError(f"framebuffer {width}x{height} {color} incomplete: status 0x{status:04X}")

    def bind(self) -> None:
        """Bind for drawing and reading, and set the viewport to the whole framebuffer."""
        from OpenGL import GL

        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.handle)
        GL.glViewport(0, 0, self.width, self.height)

    def read(self) -> np.ndarray:
        """The colour attachment as H x W x 4 (row 0 top): uint8 for ``rgba8``, uint16 for ``rgb10_a2``, float32
        for float formats."""
        dtype = {"rgba8": np.uint8, "rgb10_a2": np.uint16}.get(self.color.fmt, np.float32)
        return read_pixels(self.width, self.height, dtype=dtype, framebuffer=self)

    def delete(self) -> None:
        """Delete the FBO, its colour texture and depth buffer; safe to call twice."""
        from OpenGL import GL

        if self.handle:
            GL.glDeleteFramebuffers(1, [self.handle])
            self.handle = 0
        if self.depth_handle:
            GL.glDeleteRenderbuffers(1, [self.depth_handle])
            self.depth_handle = 0
        self.color.delete()


def read_pixels(
    width: int,
    height: int,
    *,
    dtype: type[np.uint8] | type[np.uint16] | type[np.float32] = np.uint8,
    framebuffer: Framebuffer | None = None,
) -> np.ndarray:
    """Read ``width`` x ``height`` RGBA pixels from the bottom-left origin of a framebuffer, row 0 = top: uint8,
    uint16 (normalised to 0–65535, for colour buffers deeper than 8 bits) or float32.

    ``framebuffer=None`` reads the window's default framebuffer (its back buffer, i.e. before or right after
    ``swap()``; surfaceless headless contexts have none). The previous read-framebuffer binding is restored.
    """
    from OpenGL import GL

    kind = np.dtype(dtype)
    types = {np.dtype(np.uint8): GL.GL_UNSIGNED_BYTE, np.dtype(np.uint16): GL.GL_UNSIGNED_SHORT,
             np.dtype(np.float32): GL.GL_FLOAT}
    if kind not in types:
        raise ValueError(f"read_pixels reads uint8, uint16 or float32, not {kind}")
    pixel_type = types[kind]
    previous = int(GL.glGetIntegerv(GL.GL_READ_FRAMEBUFFER_BINDING))
    GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, framebuffer.handle if framebuffer else 0)
    GL.glReadBuffer(GL.GL_COLOR_ATTACHMENT0 if framebuffer else GL.GL_BACK)
    GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
    out = np.empty((height, width, 4), dtype=kind)
    GL.glReadPixels(0, 0, width, height, GL.GL_RGBA, pixel_type, out)
    GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, previous)
    return out[::-1].copy()


class FullscreenTriangle:
    """An empty VAO drawing one clip-space-covering triangle; pair with :data:`FULLSCREEN_VERTEX_SHADER`."""

    def __init__(self) -> None:
        from OpenGL import GL

        self.handle = int(GL.glGenVertexArrays(1))

    def draw(self) -> None:
        """Draw the triangle with the currently bound program."""
        from OpenGL import GL

        GL.glBindVertexArray(self.handle)
        GL.glDrawArrays(GL.GL_TRIANGLES, 0, 3)
        GL.glBindVertexArray(0)

    def delete(self) -> None:
        """Delete the VAO; safe to call twice."""
        if self.handle:
            from OpenGL import GL

            GL.glDeleteVertexArrays(1, [self.handle])
            self.handle = 0
