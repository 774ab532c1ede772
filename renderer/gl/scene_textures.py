"""GL uploads for the scene pass: meshes with their own buffers and sRGB base-colour textures with mipmaps.

Functions take the ``OpenGL.GL`` module as ``GL`` (so tests can count calls) and need a current context.
Vertex layout (:meth:`renderer.meshes.Mesh.gpu_vertices`): 12 float32 per vertex — position (location 0),
normal (1), uv (10), linear RGBA colour (11); triangles as uint32.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

import numpy as np

from renderer.gl.resources import kept_binding

VERTEX_FLOATS = 12
_ATTRIBUTES = ((0, 3, 0), (1, 3, 3), (10, 2, 6), (11, 4, 8))  # (location, components, float offset)


@dataclass
class MeshBuffers:
    """A VAO with its vertex and index buffers."""

    vao: int
    vbo: int
    ebo: int
    index_count: int

    def delete(self, GL: Any) -> None:  # noqa: N803 - GL module
        GL.glDeleteVertexArrays(1, [self.vao])
        GL.glDeleteBuffers(2, [self.vbo, self.ebo])


def upload_mesh(GL: Any, vertices: np.ndarray, indices: np.ndarray) -> MeshBuffers:  # noqa: N803 - GL module
    """Upload N × 12 vertices and M × 3 indices; the VAO records the per-vertex attributes and the index buffer."""
    vertices = np.ascontiguousarray(vertices, dtype=np.float32)
    if vertices.ndim != 2 or vertices.shape[1] != VERTEX_FLOATS:
        raise ValueError(f"vertices must be N x {VERTEX_FLOATS}, got shape {vertices.shape}")
    vao = int(GL.glGenVertexArrays(1))
    vbo, ebo = (int(b) for b in GL.glGenBuffers(2))
    GL.glBindVertexArray(vao)
    GL.glBindBuffer(GL.GL_ARRAY_BUFFER, vbo)
    GL.glBufferData(GL.GL_ARRAY_BUFFER, vertices, GL.GL_STATIC_DRAW)
    GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, ebo)
    GL.glBufferData(GL.GL_ELEMENT_ARRAY_BUFFER, np.ascontiguousarray(indices, dtype=np.uint32).ravel(),
                    GL.GL_STATIC_DRAW)
    for location, size, offset in _ATTRIBUTES:
        GL.glEnableVertexAttribArray(location)
        GL.glVertexAttribPointer(location, size, GL.GL_FLOAT, GL.GL_FALSE, VERTEX_FLOATS * 4,
                                 ctypes.c_void_p(offset * 4))
    GL.glBindVertexArray(0)
    return MeshBuffers(vao, vbo, ebo, int(np.asarray(indices).size))


def upload_texture(GL: Any, image: np.ndarray, repeat: bool = True) -> int:  # noqa: N803 - GL module
    """An ``SRGB8_ALPHA8`` texture of an H × W × 4 uint8 image — or an ``RGBA16F`` one of a float32 scene-linear
    image (OpenEXR panoramas) — with mipmaps (trilinear; no anisotropic filtering, which differs between drivers).
    Row 0 is uploaded first, so v = 0 is the image's top row; u repeats when ``repeat``, v is clamped."""
    linear = image.dtype == np.float32
    image = np.ascontiguousarray(image, dtype=np.float32 if linear else np.uint8)
    tex = int(GL.glGenTextures(1))
    with kept_binding("GL_TEXTURE_2D"):
        _fill_texture(GL, tex, image, repeat)
    return tex


def _fill_texture(GL: Any, tex: int, image: np.ndarray, repeat: bool) -> None:  # noqa: N803 - GL module
    linear = image.dtype == np.float32
    h, w = image.shape[:2]
    GL.glBindTexture(GL.GL_TEXTURE_2D, tex)
    wrap = GL.GL_REPEAT if repeat else GL.GL_CLAMP_TO_EDGE
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_S, wrap)
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_T, GL.GL_CLAMP_TO_EDGE)
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR_MIPMAP_LINEAR)
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR)
    GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
    if linear:
        GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_RGBA16F, w, h, 0, GL.GL_RGBA, GL.GL_FLOAT, image)
    else:
        GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_SRGB8_ALPHA8, w, h, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, image)
    GL.glGenerateMipmap(GL.GL_TEXTURE_2D)
