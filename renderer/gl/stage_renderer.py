"""Everything a frame needs on one GL context: scene pass, inner-frustum layers, outer cube map, wall compositor.

:class:`StageRenderer` is shared by ``stage render`` (one deterministic frame into offscreen targets) and the render
node (continuous frames into windows or offscreen outputs): both build a :class:`renderer.frame.Frame` and call
:meth:`StageRenderer.prepare` with it, then draw walls. It owns GL objects; create it with a current context.
"""

from __future__ import annotations

import logging

import numpy as np

from renderer.cubemap import cube_face_projection, cube_face_views
from renderer.frame import Frame
from renderer.gl.color_pass import preview_shader_source
from renderer.gl.program import Program
from renderer.gl.resources import FULLSCREEN_VERTEX_SHADER, Framebuffer, FullscreenTriangle
from renderer.gl.scene_pass import ScenePass, load_shader
from renderer.gl.targets import CubeTarget, LayeredTarget
from renderer.gl.wall_pass import MAX_CAMERAS, WallCompositor, WallFrame, WallSurface
from renderer.lightcards import PlacedCard
from renderer.views import FAR_M, NEAR_M, CameraView
from stage.core.color.ocio_gpu import OcioShader
from stage.core.config.color import ColorManagement
from stage.core.config.scene import SceneConfig
from stage.core.config.wall_geometry import wall_sections
from stage.core.config.walls import Wall
from stage.core.geometry.image_cover import ImageCover

log = logging.getLogger(__name__)

MIN_CUBE_FACE_PX = 64
MAX_CUBE_FACE_PX = 2048


def outer_face_size(walls: list[Wall], resolution_scale: float) -> int:
    """Cube face size giving about ``resolution_scale`` of the walls' LED density seen from the viewpoint: a face
    spans 90°, so a wall spanning ~90° of view with W pixels wants a W-pixel face."""
    from stage.core.config.wall_geometry import wall_resolution_px

    widest = max((max(wall_resolution_px(w)) for w in walls), default=256)
    return int(min(MAX_CUBE_FACE_PX, max(MIN_CUBE_FACE_PX, round(widest * resolution_scale))))


class StageRenderer:
    def __init__(self, scene: SceneConfig, walls: list[Wall], inner_px: tuple[int, int], cameras: int,
                 outer_face_px: int, color: ColorManagement | None = None, wall_cache: bool = True) -> None:
        self.scene_pass = ScenePass(scene, color)
        self.inner = LayeredTarget(inner_px[0], inner_px[1], min(max(cameras, 1), MAX_CAMERAS))
        self.outer = CubeTarget(outer_face_px)
        self.compositor = WallCompositor(cache_outer=wall_cache)  # ``render.wall_cache``
        self.surfaces = {w.name: WallSurface(w) for w in walls}
        self._image_cover = ImageCover([s for w in walls for s in wall_sections(w)])
        self.scissor_inner = True
        """Render each inner frustum only where these walls can sample it (:meth:`render_inner`)."""
        self.inner_rects: dict[int, tuple[int, int, int, int] | None] = {}
        """Per layer, the image rectangle (GL pixels, origin bottom-left) the last :meth:`render_inner` drew."""
        self._encode = Program({"vertex": FULLSCREEN_VERTEX_SHADER, "fragment": load_shader("encode.frag")}, "encode")
        self._preview = Program({"vertex": load_shader("preview.vert"), "fragment": load_shader("preview.frag")},
                                "preview")
        self._preview_variants: dict[str, Program] = {}
        self._shown: dict[str, OcioShader | None] = {}  # each wall's preview transform, from its last wall_image
        self._triangle = FullscreenTriangle()
        self._outer_key: tuple | None = None
        self._look: tuple | None = None
        """Placement and time of day last given to the scene pass (``prepare`` uploads only changes)."""

    # -- passes ---------------------------------------------------------------------------------------------

    def set_scene(self, scene: SceneConfig) -> None:
        self.scene_pass.set_scene(scene)
        self._outer_key = None
        self._look = None  # the scene pass went back to the scene's own placement

    def prepare(self, frame: Frame) -> None:
        """Everything of ``frame`` the walls sample: scene placement and time of day (uploaded when they changed),
        the inner frusta and the outer cube map (re-rendered only when it changed)."""
        look = (frame.placement, frame.time_of_day_h)
        if look != self._look:
            self.set_time_of_day(frame.time_of_day_h)
            self.set_placement(frame.placement.offset_m, frame.placement.yaw_deg, frame.placement.scale)
            self._look = look
        self.render_inner(frame.views, frame.time_s)
        self.render_outer(frame.wall.outer_eye_m, frame.time_s)

    def draw_frame_wall(self, wall: str, origin_gl: tuple[int, int], frame: Frame) -> None:
        """Draw one wall of a prepared ``frame`` with its live brightness and enable."""
        state = frame.wall_live(wall)
        self.draw_wall(wall, origin_gl, frame.wall, frame.cards, state.brightness, state.enabled)

    def set_placement(self, offset_m, yaw_deg: float, scale: float) -> None:
        self.scene_pass.set_placement(offset_m, yaw_deg, scale)
        self._outer_key = None
        self._look = None

    def set_time_of_day(self, hours: float | None) -> None:
        """Live time of day (None: the scene's own); the outer cube map is re-rendered on the next frame."""
        self.scene_pass.set_time_of_day(hours)
        self._outer_key = None
        self._look = None

    def render_inner(self, views: list[CameraView], time_s: float = 0.0) -> None:
        """One scene render per camera (entrance pupil, lens FOV + overscan) into its layer, scissored to the part
        of the image that this renderer's walls can sample (:class:`~stage.core.geometry.image_cover.ImageCover`);
        a camera whose frustum none of them reaches is not rendered. Texels outside that part keep an older
        frame's picture, which no wall reads: the walls are exactly as with a full render."""
        from OpenGL import GL

        size = (self.inner.width, self.inner.height)
        for layer, view in enumerate(views[: self.inner.layers]):
            rect = self._image_cover.rect(view.clip_from_world, size) if self.scissor_inner else (0, 0, *size)
            self.inner_rects[layer] = rect
            if rect is None:
                continue
            self.inner.bind_layer(layer)
            whole = rect == (0, 0, *size)
            if not whole:
                GL.glEnable(GL.GL_SCISSOR_TEST)
                GL.glScissor(rect[0], rect[1], rect[2] - rect[0], rect[3] - rect[1])
            try:
                self.scene_pass.draw(view.view, view.projection, time_s)
            finally:
                if not whole:
                    GL.glDisable(GL.GL_SCISSOR_TEST)

    def render_outer(self, viewpoint_m: tuple[float, float, float], time_s: float = 0.0) -> bool:
        """The outer frustum as a cube map at ``viewpoint_m``; skipped when nothing it depends on changed (the
        viewpoint is static, so a live stage re-renders it only on scene, placement or time-of-day changes, and
        every frame only while the scene is animated)."""
        key = (tuple(viewpoint_m), float(time_s) if self.scene_pass.prepared.animated else None)
        if key == self._outer_key:
            return False
        projection = cube_face_projection(NEAR_M, FAR_M)
        for face, (_, view) in enumerate(cube_face_views(viewpoint_m)):
            self.outer.bind_face(face)
            self.scene_pass.draw(view, projection, time_s)
        self.outer.generate_mipmaps()
        self._outer_key = key
        return True

    def draw_wall(self, wall: str, origin_gl: tuple[int, int], frame: WallFrame, cards: list[PlacedCard],
                  brightness: float = 1.0, enabled: bool = True) -> None:
        self.compositor.draw(self.surfaces[wall], origin_gl, frame, self.inner, self.outer, cards, brightness,
                             enabled)

    # -- whole images (stage render, previews) ------------------------------------------------------------------

    def wall_image(self, wall: str, frame: Frame) -> Framebuffer:
        """Render one wall of a prepared ``frame`` into its own framebuffer (caller deletes it): RGBA8, or RGBA32F
        when its output transform needs more than 8 bits (PQ; 32-bit float because half floats keep only 11
        significant bits)."""
        surface = self.surfaces[wall]
        transform = self.compositor.output_transform(surface, frame.wall)[0]
        high = transform.high_bit_depth
        self._shown[wall] = transform.preview
        fb = Framebuffer(surface.width_px, surface.height_px, "rgba32f" if high else "rgba8", depth=False)
        fb.bind()
        self.draw_frame_wall(wall, (0, 0), frame)
        return fb

    def camera_image(self, view: CameraView, size_px: tuple[int, int], gain: float, transfer: str = "srgb",
                     time_s: float = 0.0, white_balance: np.ndarray | None = None) -> np.ndarray:
        """The scene straight from the camera (lens FOV, no overscan), output-encoded: RGBA8, row 0 top.
        ``white_balance`` is a 3×3 linear Rec.709 matrix (``stage.core.color.white_balance``; default identity)."""
        linear = Framebuffer(*size_px, "rgba16f", depth=True)
        out = Framebuffer(*size_px, "rgba8", depth=False)
        try:
            self.draw_camera(view, linear, out, gain, transfer, time_s, white_balance)
            return out.read()
        finally:
            linear.delete()
            out.delete()

    def draw_camera(self, view: CameraView, linear: Framebuffer, out: Framebuffer, gain: float,
                    transfer: str = "srgb", time_s: float = 0.0, white_balance: np.ndarray | None = None) -> None:
        """:meth:`camera_image` into given framebuffers of one size: the scene pass into ``linear`` (float, with
        depth), then encoded into ``out`` (RGBA8). A plain render of the scene from the camera: what
        ``benchmarks.frame_budget`` compares an ICVFX frame against."""
        from OpenGL import GL

        linear.bind()
        self.scene_pass.draw(view.view, view.projection_lens, time_s)
        out.bind()
        GL.glDisable(GL.GL_DEPTH_TEST)
        self._encode.use()
        linear.color.bind(0)
        self._encode.set_int("image", 0)
        self._encode.set_float("gain", gain)
        wb = np.eye(3) if white_balance is None else white_balance
        GL.glUniformMatrix3fv(self._encode.location("white_balance"), 1, GL.GL_TRUE,
                              np.ascontiguousarray(wb, dtype=np.float32))
        self._encode.set_int("transfer", 1 if transfer == "srgb" else 0)
        self._triangle.draw()

    def preview_image(self, view: CameraView, size_px: tuple[int, int], walls: list[Wall],
                      images: dict[str, Framebuffer]) -> np.ndarray:
        """The physical stage as the camera sees it: LED sections showing their images, everything else black."""
        from OpenGL import GL

        out = Framebuffer(*size_px, "rgba8", depth=True)
        vao = int(GL.glGenVertexArrays(1))
        vbo = int(GL.glGenBuffers(1))
        try:
            out.bind()
            GL.glClearColor(0.0, 0.0, 0.0, 1.0)
            GL.glClear(GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT)
            GL.glEnable(GL.GL_DEPTH_TEST)
            GL.glDepthFunc(GL.GL_LESS)
            GL.glBindVertexArray(vao)
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, vbo)
            GL.glEnableVertexAttribArray(0)
            GL.glVertexAttribPointer(0, 3, GL.GL_FLOAT, GL.GL_FALSE, 20, None)
            GL.glEnableVertexAttribArray(1)
            GL.glVertexAttribPointer(1, 2, GL.GL_FLOAT, GL.GL_FALSE, 20, GL.ctypes.c_void_p(12))
            for wall in walls:
                image = images.get(wall.name)
                if image is None:
                    continue
                program = self._preview_program(self._shown.get(wall.name))
                program.use()
                program.set_mat4("clip_from_world", view.clip_from_world_lens)
                program.set_int("wall_image", 0)
                vertices = section_quads(wall, image.width, image.height)
                GL.glBufferData(GL.GL_ARRAY_BUFFER, vertices, GL.GL_STREAM_DRAW)
                GL.glActiveTexture(GL.GL_TEXTURE0)
                GL.glBindTexture(GL.GL_TEXTURE_2D, image.color.handle)
                GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR)
                GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR)
                GL.glDrawArrays(GL.GL_TRIANGLES, 0, len(vertices) // 5)
            GL.glBindVertexArray(0)
            return out.read()
        finally:
            GL.glDeleteBuffers(1, [vbo])
            GL.glDeleteVertexArrays(1, [vao])
            out.delete()

    def _preview_program(self, preview: OcioShader | None) -> Program:
        """The preview program for a wall: the plain one, or a variant with the wall's preview transform (its
        OCIO tables bound)."""
        if preview is None:
            return self._preview
        program = self._preview_variants.get(preview.cache_id)
        if program is None:
            program = self._preview_variants[preview.cache_id] = Program(
                {"vertex": load_shader("preview.vert"),
                 "fragment": preview_shader_source(load_shader("preview.frag"), preview)},
                f"preview[{preview.cache_id}]")
        program.use()
        self.compositor.luts.ocio_textures(preview).bind(program)
        return program

    def delete(self) -> None:
        for program in self._preview_variants.values():
            program.delete()
        self._preview_variants.clear()
        for surface in self.surfaces.values():
            surface.delete()
        for obj in (self.scene_pass, self.inner, self.outer, self.compositor, self._encode, self._preview,
                    self._triangle):
            obj.delete()


def section_quads(wall: Wall, width_px: int, height_px: int) -> np.ndarray:
    """Two triangles per flat section: interleaved ``x, y, z, u, v`` float32 with GL texture coordinates into a
    wall image framebuffer (v = 0 at the bottom row of the image)."""
    rows = []
    for s in wall_sections(wall):
        x, y, w, h = s.pixel_rect
        u0, u1 = x / width_px, (x + w) / width_px
        v_top, v_bottom = 1.0 - y / height_px, 1.0 - (y + h) / height_px
        ll, lr, ul, ur = s.lower_left, s.lower_right, s.upper_left, s.upper_right
        corners = [(ll, u0, v_bottom), (lr, u1, v_bottom), (ur, u1, v_top), (ll, u0, v_bottom), (ur, u1, v_top),
                   (ul, u0, v_top)]
        rows += [[*p, u, v] for p, u, v in corners]
    return np.asarray(rows, dtype=np.float32).ravel()
