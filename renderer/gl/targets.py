"""Render targets beyond a plain framebuffer: a layered 2D texture array (one inner frustum per camera) and a cube
map (the outer frustum seen from its viewpoint). Both are float (RGBA16F) with a depth renderbuffer.

OpenGL is imported inside the methods; constructing one needs a current context.
"""

from __future__ import annotations

from renderer.gl.resources import FramebufferError, kept_binding


def _check_complete(what: str) -> None:
    from OpenGL import GL

    status = GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER)
    if status != GL.GL_FRAMEBUFFER_COMPLETE:
        raise FramebufferError(f"{what} framebuffer incomplete (status 0x{int(status):04X})")


class _DepthFramebuffer:
    def __init__(self, width: int, height: int) -> None:
        from OpenGL import GL

        self.width, self.height = width, height
        self.fbo = int(GL.glGenFramebuffers(1))
        self.depth = int(GL.glGenRenderbuffers(1))
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, self.depth)
        GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, GL.GL_DEPTH_COMPONENT24, width, height)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.fbo)
        GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT, GL.GL_RENDERBUFFER, self.depth)

    def delete(self) -> None:
        from OpenGL import GL

        if self.fbo:
            GL.glDeleteFramebuffers(1, [self.fbo])
            GL.glDeleteRenderbuffers(1, [self.depth])
            self.fbo = self.depth = 0


class LayeredTarget(_DepthFramebuffer):
    """A ``GL_TEXTURE_2D_ARRAY`` of ``layers`` RGBA16F images, linear filtered; :meth:`bind_layer` renders into one."""

    def __init__(self, width: int, height: int, layers: int) -> None:
        from OpenGL import GL

        super().__init__(width, height)
        self.layers = max(1, layers)
        self.texture = int(GL.glGenTextures(1))
        with kept_binding("GL_TEXTURE_2D_ARRAY"):
            GL.glBindTexture(GL.GL_TEXTURE_2D_ARRAY, self.texture)
            for name, value in ((GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR), (GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR),
                                (GL.GL_TEXTURE_WRAP_S, GL.GL_CLAMP_TO_EDGE),
                                (GL.GL_TEXTURE_WRAP_T, GL.GL_CLAMP_TO_EDGE)):
                GL.glTexParameteri(GL.GL_TEXTURE_2D_ARRAY, name, value)
            GL.glTexImage3D(GL.GL_TEXTURE_2D_ARRAY, 0, GL.GL_RGBA16F, width, height, self.layers, 0, GL.GL_RGBA,
                            GL.GL_HALF_FLOAT, None)
        self.bind_layer(0)
        _check_complete("inner-frustum layer")

    def bind_layer(self, layer: int) -> None:
        from OpenGL import GL

        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.fbo)
        GL.glFramebufferTextureLayer(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, self.texture, 0, layer)
        GL.glViewport(0, 0, self.width, self.height)

    def bind_texture(self, unit: int) -> None:
        from OpenGL import GL

        GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
        GL.glBindTexture(GL.GL_TEXTURE_2D_ARRAY, self.texture)

    def delete(self) -> None:
        from OpenGL import GL

        if self.texture:
            GL.glDeleteTextures([self.texture])
            self.texture = 0
        super().delete()


def mip_levels(size: int) -> int:
    """Number of mip levels of a ``size``-texel square texture, down to 1 × 1."""
    return max(1, int(size).bit_length())


class CubeTarget(_DepthFramebuffer):
    """A ``GL_TEXTURE_CUBE_MAP`` of RGBA16F faces (``size`` × ``size``) with a full mip chain, sampled trilinear
    (``GL_LINEAR_MIPMAP_LINEAR``) and seamless across faces. Call :meth:`generate_mipmaps` after rendering the
    faces: a wall that sees the cube minified (a close or dense wall, a low ``resolution_scale``'s small faces seen
    at a grazing angle) then reads the pre-filtered level instead of aliasing into streaks."""

    def __init__(self, size: int) -> None:
        from OpenGL import GL

        super().__init__(size, size)
        self.size = size
        self.levels = mip_levels(size)
        self.version = 0
        """Counts :meth:`bind_face` calls: a new version means the faces may have been drawn again."""
        self.texture = int(GL.glGenTextures(1))
        with kept_binding("GL_TEXTURE_CUBE_MAP"):
            GL.glBindTexture(GL.GL_TEXTURE_CUBE_MAP, self.texture)
            for name, value in ((GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR_MIPMAP_LINEAR),
                                (GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR),
                                (GL.GL_TEXTURE_WRAP_S, GL.GL_CLAMP_TO_EDGE),
                                (GL.GL_TEXTURE_WRAP_T, GL.GL_CLAMP_TO_EDGE),
                                (GL.GL_TEXTURE_WRAP_R, GL.GL_CLAMP_TO_EDGE), (GL.GL_TEXTURE_BASE_LEVEL, 0),
                                (GL.GL_TEXTURE_MAX_LEVEL, self.levels - 1)):
                GL.glTexParameteri(GL.GL_TEXTURE_CUBE_MAP, name, value)
            for level in range(self.levels):
                px = max(1, size >> level)
                for face in range(6):
                    GL.glTexImage2D(GL.GL_TEXTURE_CUBE_MAP_POSITIVE_X + face, level, GL.GL_RGBA16F, px, px, 0,
                                    GL.GL_RGBA, GL.GL_HALF_FLOAT, None)
        GL.glEnable(GL.GL_TEXTURE_CUBE_MAP_SEAMLESS)
        self.bind_face(0)
        _check_complete("outer-frustum cube")

    def bind_face(self, face: int) -> None:
        from OpenGL import GL

        self.version += 1
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.fbo)
        GL.glFramebufferTexture2D(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_TEXTURE_CUBE_MAP_POSITIVE_X + face,
                                  self.texture, 0)
        GL.glViewport(0, 0, self.size, self.size)

    def generate_mipmaps(self) -> None:
        """Rebuild levels 1.. from the six freshly rendered level-0 faces."""
        from OpenGL import GL

        with kept_binding("GL_TEXTURE_CUBE_MAP"):
            GL.glBindTexture(GL.GL_TEXTURE_CUBE_MAP, self.texture)
            GL.glGenerateMipmap(GL.GL_TEXTURE_CUBE_MAP)

    def bind_texture(self, unit: int) -> None:
        from OpenGL import GL

        GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
        GL.glBindTexture(GL.GL_TEXTURE_CUBE_MAP, self.texture)

    def delete(self) -> None:
        from OpenGL import GL

        if self.texture:
            GL.glDeleteTextures([self.texture])
            self.texture = 0
        super().delete()
