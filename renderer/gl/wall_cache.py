"""What a wall (built-in or OCIO output transform) keeps between frames (outside the inner frusta), and how it
goes back on screen exactly.

Two images per wall, both the size of the wall plus a pixel (drawn at the wall's origin modulo 2, see
:meth:`renderer.gl.wall_pass.WallCompositor._draw_cached`):

- **scene**: the scene-linear outer colour of every pixel (outer cube map + light cards, before gain and output
  transform), RGBA32F so every value is kept exactly; drawn again when the cube map, the outer viewpoint or the
  cards change. The covered-rectangle pass reads it with one texel fetch instead of a cube-map sample and the card
  evaluation.
- **output**: the wall's output where no inner frustum is (the scene image through gain and output transform), in
  the format of the framebuffer being drawn into (:func:`blit_format`), so that it goes back with
  ``glBlitFramebuffer`` instead of a full-wall shader pass: a byte copy between like formats (Mesa's llvmpipe
  copies them with ``memcpy``, ``util_try_blit_via_copy_region``); into a window's back buffer (RGBA8,
  sRGB-capable, written as is) Mesa's own blit shader, still cheaper than ours. A target of any other format
  (multisampled, RGB565, written through the sRGB encoding, ...) gets an RGBA32F output image copied by a shader,
  as before: rendering into the target converts from float the same way whichever pass writes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from renderer.gl.resources import Framebuffer, TextureFormat

BLIT_FORMATS: dict[tuple[str, tuple[int, int, int]], TextureFormat] = {
    ("GL_UNSIGNED_NORMALIZED", (8, 8, 8)): "rgba8",
    ("GL_UNSIGNED_NORMALIZED", (10, 10, 10)): "rgb10_a2",  # an HDR output (alpha: 2 bits, or none)
    ("GL_FLOAT", (16, 16, 16)): "rgba16f",
    ("GL_FLOAT", (32, 32, 32)): "rgba32f",
}
"""(component type, red/green/blue bits) of a colour buffer → the cache format that copies into it byte for byte
(alpha: the same bits — 2 beside 10 — or none)."""
FALLBACK_FORMAT: TextureFormat = "rgba32f"


def blit_format() -> TextureFormat | None:
    """The format of the bound draw framebuffer's colour buffer when an image of that format copies into it exactly
    with ``glBlitFramebuffer`` (single-sampled, one of :data:`BLIT_FORMATS`, written as is: not sRGB-encoded with
    ``GL_FRAMEBUFFER_SRGB`` on — Mesa's windows are sRGB-capable, and it is off), else ``None``."""
    from OpenGL import GL

    try:
        fbo = int(GL.glGetIntegerv(GL.GL_DRAW_FRAMEBUFFER_BINDING))
        if int(GL.glGetIntegerv(GL.GL_SAMPLE_BUFFERS)) != 0:
            return None
        if fbo:
            attachment = GL.GL_COLOR_ATTACHMENT0
        else:
            buffer = int(GL.glGetIntegerv(GL.GL_DRAW_BUFFER))
            attachment = {int(GL.GL_BACK): GL.GL_BACK_LEFT, int(GL.GL_FRONT): GL.GL_FRONT_LEFT,
                          int(GL.GL_BACK_LEFT): GL.GL_BACK_LEFT, int(GL.GL_FRONT_LEFT): GL.GL_FRONT_LEFT}.get(buffer)
            if attachment is None:
                return None

        def query(name: str) -> int:
            return int(GL.glGetFramebufferAttachmentParameteriv(GL.GL_DRAW_FRAMEBUFFER, attachment,
                                                                getattr(GL, name)))

        if query("GL_FRAMEBUFFER_ATTACHMENT_OBJECT_TYPE") == GL.GL_NONE:
            return None
        if query("GL_FRAMEBUFFER_ATTACHMENT_COLOR_ENCODING") != GL.GL_LINEAR and GL.glIsEnabled(
                GL.GL_FRAMEBUFFER_SRGB):
            return None  # written through the sRGB encoding: a blit would encode values encoded already
        kind = next((name for name in ("GL_UNSIGNED_NORMALIZED", "GL_FLOAT")
                     if query("GL_FRAMEBUFFER_ATTACHMENT_COMPONENT_TYPE") == getattr(GL, name)), None)
        bits = tuple(query(f"GL_FRAMEBUFFER_ATTACHMENT_{c}_SIZE") for c in ("RED", "GREEN", "BLUE"))
        alpha = query("GL_FRAMEBUFFER_ATTACHMENT_ALPHA_SIZE")
    except GL.GLError:
        return None
    if alpha not in (0, 2 if bits[0] == 10 else bits[0]):
        return None
    return BLIT_FORMATS.get((kind, bits)) if kind else None


@dataclass
class OuterCache:
    """One wall's two images and what each was drawn from (``None``: not yet)."""

    scene: Framebuffer
    scene_key: tuple | None = None
    output: Framebuffer | None = None
    output_key: tuple | None = None
    last_key: tuple | None = None
    """The output key of the last frame drawn (a key seen twice in a row is worth caching)."""
    blit: bool = False
    """``output`` is in the target's format: copy it with ``glBlitFramebuffer``."""

    def output_for(self, fmt: TextureFormat | None) -> Framebuffer:
        """The output image for a target of blit format ``fmt`` (``None``: the RGBA32F one, copied by a shader);
        made again (and so stale) when the format changes."""
        wanted = fmt or FALLBACK_FORMAT
        if self.output is None or self.output.color.fmt != wanted:
            if self.output is not None:
                self.output.delete()
            self.output = Framebuffer(self.scene.width, self.scene.height, wanted, depth=False)
            self.output_key = None
        self.blit = fmt is not None
        return self.output

    def blit_to(self, at: tuple[int, int], origin_gl: tuple[int, int], size_px: tuple[int, int]) -> None:
        """Copy the wall (``size_px`` at ``at`` in ``output``) into the bound draw framebuffer at ``origin_gl``
        (scissor test off)."""
        from OpenGL import GL

        if self.output is None:
            raise RuntimeError("no output cache to copy")
        read_fb = int(GL.glGetIntegerv(GL.GL_READ_FRAMEBUFFER_BINDING))
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self.output.handle)
        (x, y), (w, h) = at, size_px
        GL.glBlitFramebuffer(x, y, x + w, y + h, origin_gl[0], origin_gl[1], origin_gl[0] + w, origin_gl[1] + h,
                             GL.GL_COLOR_BUFFER_BIT, GL.GL_NEAREST)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, read_fb)

    def delete(self) -> None:
        self.scene.delete()
        if self.output is not None:
            self.output.delete()
