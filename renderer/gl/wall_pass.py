"""The wall pass: composites outer frustum, light cards and inner frusta onto every LED pixel of a wall.

One :class:`WallCompositor` per GL context holds the program; one :class:`WallSurface` per wall holds its position
map (stage metres of every pixel centre, uploaded once as an RGB32F texture). Drawing a wall is one full-screen
triangle over the wall's viewport, so its cost depends on its pixel count, not on how many flat sections it has.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from renderer.gl.color_pass import (
    OUTPUT_TRANSFORM_GLSL,
    LutCache,
    OutputTransform,
    ocio_output_transform,
    output_transform,
    set_output_uniforms,
)
from renderer.gl.program import Program
from renderer.gl.resources import FULLSCREEN_VERTEX_SHADER, Framebuffer, FullscreenTriangle, Texture
from renderer.gl.scene_pass import load_shader
from renderer.gl.targets import CubeTarget, LayeredTarget
from renderer.gl.wall_cache import OuterCache, blit_format
from renderer.lightcards import PlacedCard
from stage.core.color.ocio import DisplayView, to_working
from stage.core.config.cameras import Camera
from stage.core.config.color import ColorManagement
from stage.core.config.wall_geometry import pixel_positions, wall_resolution_px, wall_sections, wall_size_m
from stage.core.config.walls import Wall
from stage.core.geometry.frustum_cover import WallCover

MAX_CAMERAS = 4
MAX_CARDS = 8
OUTER_CACHE_TEXTURE_UNIT = 4
"""The outer caches' unit: after the built-in LUT's (3), before OCIO's tables
(:data:`renderer.gl.color_pass.OCIO_FIRST_TEXTURE_UNIT`)."""
OUTER_CUBE = "cube"
"""Program variants by where the outer colour comes from and what is written (:meth:`WallCompositor.program_for`):
the cube map and cards, through the output transform (a frame unlike the last, and the uncached reference) …"""
OUTER_SCENE = "scene"
"""… the cube map and cards, written scene-linear (a wall's scene cache, :mod:`renderer.gl.wall_cache`) …"""
OUTER_CACHED = "cached"
"""… or the scene cache, through the output transform (a wall's output cache and covered rectangle)."""
_OUTER_DEFINES = {OUTER_CUBE: "", OUTER_SCENE: "#define OUTER_SCENE_OUT 1\n",
                  OUTER_CACHED: "#define OUTER_FROM_CACHE 1\n"}
COPY_FRAGMENT_SHADER = """#version 330 core
uniform sampler2D outer_cache;
uniform ivec2 viewport_origin;
uniform ivec2 cache_origin;
out vec4 frag_color;
void main() { frag_color = texelFetch(outer_cache, ivec2(gl_FragCoord.xy) - viewport_origin + cache_origin, 0); }
"""


def _cards_key(cards: list[PlacedCard]) -> tuple:
    return tuple((c.name, tuple(map(float, c.center_m)), tuple(map(float, c.right)), tuple(map(float, c.up)),
                  tuple(c.half_size_m), c.ellipse, c.softness, tuple(c.color)) for c in cards)


@dataclass(frozen=True)
class WallFrame:
    """Per-frame inputs shared by every wall of a node."""

    inner_clip: list[np.ndarray]
    """``clip_from_world`` (with overscan) of each camera, lowest priority first; layer i of the inner target."""
    soft_edge_pct: float
    chroma_key: bool
    key_color: tuple[float, float, float]
    marker_grid: bool
    marker_spacing_m: float
    outer_eye_m: tuple[float, float, float]
    exposure_gain: float
    """2^EV, linear."""
    transfer: str | None = None
    """Overrides every wall's ``color.transfer`` (``linear``, ``srgb``, ``bt1886``, ``pq``); ``None`` keeps each
    wall's own."""
    white_balance_k: float = 6500.0
    """Live white balance, kelvin (6500 = unchanged; stage.core.color.white_balance)."""
    tint: float = 0.0
    """Live green (−1) – magenta (+1) tint."""
    color_management: ColorManagement | None = None
    """The stage's ``color`` block (its ``ocio_config`` resolved by loading); ``None`` or no ``ocio_config``: every
    wall uses the built-in chain."""
    display_views: Mapping[str, DisplayView] = field(default_factory=dict)
    """Live OCIO display/view/look by wall name (:func:`stage.core.live.display_views`); a wall not here uses its
    ``color.display``/``view``/``look``."""
    inner_looks: tuple[str | None, ...] = ()
    """OCIO look per entry of ``inner_clip`` (its camera's ``inner_look``: :func:`camera_looks`); missing: none."""


def camera_looks(cameras: Sequence[Camera], ordered_ids: Sequence[str]) -> tuple[str | None, ...]:
    """``inner_look`` of each camera id in ``ordered_ids`` (the order of ``WallFrame.inner_clip``)."""
    looks = {c.id: c.inner_look for c in cameras}
    return tuple(looks.get(camera_id) for camera_id in ordered_ids)


class WallSurface:
    """A wall's position map on the GPU and its pixel geometry."""

    def __init__(self, wall: Wall) -> None:
        self.wall = wall
        self.width_px, self.height_px = wall_resolution_px(wall)
        width_m, height_m = wall_size_m(wall)
        self.pitch_m = (width_m / self.width_px, height_m / self.height_px)
        self.position_map = Texture.from_array(pixel_positions(wall), "rgb32f")
        self.cover = WallCover(wall_sections(wall), wall_resolution_px(wall))

    def delete(self) -> None:
        self.position_map.delete()


def wall_shader_source(cameras: int, cards: int, chroma_key: bool, color_defines: str = "",
                       outer: str = OUTER_CUBE) -> str:
    """The wall fragment shader with its variant constants compiled in (after the ``#version`` line), and the
    output transform (:data:`renderer.gl.color_pass.OUTPUT_TRANSFORM_GLSL`, variant ``color_defines``) before it;
    ``outer``: :data:`OUTER_CUBE`, :data:`OUTER_SCENE` or :data:`OUTER_CACHED`."""
    version, rest = load_shader("wall.frag").split("\n", 1)
    defines = (f"#define CAMERA_COUNT {cameras}\n#define CARD_COUNT {cards}\n#define CHROMA_KEY {int(chroma_key)}\n"
               f"{_OUTER_DEFINES[outer]}")
    return f"{version}\n{defines}{color_defines}{OUTPUT_TRANSFORM_GLSL}{rest}"


class WallCompositor:
    """The wall programs (one variant per camera count, light-card count, chroma-key state and output-transform
    variant, compiled on first use); :meth:`draw` renders one wall into the bound framebuffer at ``origin_gl``."""

    def __init__(self, cache_outer: bool = True) -> None:
        self.triangle = FullscreenTriangle()
        self.cache_outer = cache_outer
        """Draw each wall (built-in or OCIO output transform) outside the inner frusta from a per-wall cache
        (:meth:`_draw_cached`); ``False``: the full pass over every pixel of every frame (the tests' reference)."""
        self._outer_caches: dict[WallSurface, OuterCache] = {}
        self._copy: Program | None = None
        self._programs: dict[tuple[int, int, bool, str, str], Program] = {}
        self._transforms: dict[tuple, tuple[OutputTransform, str]] = {}
        self.luts = LutCache()

    def output_transform(self, surface: WallSurface, frame: WallFrame) -> tuple[OutputTransform, str]:
        """The wall's output transform this frame and its shader ``#define``s (its ``color`` config, the live white
        balance, the frame's transfer override); loads its LUT on first use (:class:`stage.core.color.cube_lut.LUTError`
        if it is bad). Memoised: a frame normally only looks it up (the render node calls this per wall per
        frame)."""
        color = surface.wall.color
        cm = frame.color_management
        ocio = cm if cm is not None and cm.ocio_config is not None else None
        selection = None
        if ocio is not None:
            selection = frame.display_views.get(surface.wall.name) or DisplayView(color.display, color.view,
                                                                                  color.look)
        key = (color.transfer, color.gamut, color.peak_nits, color.lut, color.lut_interpolation,
               frame.white_balance_k, frame.tint, frame.transfer,  # by value: model objects may be new each frame
               None if ocio is None else (ocio.ocio_config, ocio.working_space, selection, frame.inner_looks))
        found = self._transforms.get(key)
        if found is None:
            if len(self._transforms) > 256:
                self._transforms.clear()
            if ocio is not None:
                transform = ocio_output_transform(color, ocio, selection, frame.white_balance_k, frame.tint,
                                                  frame.inner_looks[:MAX_CAMERAS])
            else:
                transform = output_transform(color, frame.white_balance_k, frame.tint, frame.transfer,
                                             self.luts.lut(color.lut))
            found = self._transforms[key] = (transform, transform.defines())
        return found

    def program_for(self, cameras: int, cards: int, chroma_key: bool, color_defines: str = "",
                    outer: str = OUTER_CUBE) -> Program:
        key = (cameras, cards, chroma_key, color_defines, outer)
        program = self._programs.get(key)
        if program is None:
            variant = " ".join(line.removeprefix("#define ") for line in color_defines.splitlines()
                               if line.startswith("#define "))
            program = Program({"vertex": FULLSCREEN_VERTEX_SHADER,
                               "fragment": wall_shader_source(cameras, cards, chroma_key, color_defines, outer)},
                              f"wall[cameras={cameras}, cards={cards}, chroma={int(chroma_key)}, outer={outer}, "
                              f"{variant}]")
            program.use()
            program.set_int("position_map", 0)
            program.set_int("inner_tex", 1)
            program.set_int("outer_cube", 2)
            program.set_int("outer_scene", OUTER_CACHE_TEXTURE_UNIT)
            self._programs[key] = program
        return program

    def draw(
        self,
        surface: WallSurface,
        origin_gl: tuple[int, int],
        frame: WallFrame,
        inner: LayeredTarget,
        outer: CubeTarget,
        cards: list[PlacedCard],
        brightness: float = 1.0,
        enabled: bool = True,
    ) -> None:
        count = min(len(frame.inner_clip), MAX_CAMERAS)
        mine = [c for c in cards if c.wall == surface.wall.name][:MAX_CARDS]
        cm = frame.color_management
        if cm is not None and cm.ocio_config is not None and any(c.color_space for c in mine):
            mine = [c if not c.color_space else replace(c, color=tuple(
                v * c.intensity for v in to_working(cm.ocio_config, cm.working_space, c.color_space,
                                                    tuple(c.source_color)))) for c in mine]
        transform, defines = self.output_transform(surface, frame)
        gain = frame.exposure_gain * brightness if enabled else 0.0
        gain = gain if math.isfinite(gain) else 0.0
        if self.cache_outer:
            self._draw_cached(surface, origin_gl, frame, count, inner, outer, mine, transform, defines, gain)
            return
        p = self.program_for(count, len(mine), frame.chroma_key, defines)
        self._draw(p, surface, origin_gl, frame, count, inner, outer, mine, transform, gain)

    def _draw_cached(self, surface: WallSurface, origin_gl: tuple[int, int], frame: WallFrame, count: int,
                     inner: LayeredTarget, outer: CubeTarget, mine: list[PlacedCard], transform: OutputTransform,
                     defines: str, gain: float) -> None:
        """Any wall (an OCIO output transform can cost several times the rest of the pass; even the built-in one
        costs as much as the cube map and cards): the wall outside the inner frusta does not change from frame to
        frame, so it is kept (:mod:`renderer.gl.wall_cache`) —
        scene-linear (drawn again when the outer cube map ``version``, the viewpoint or the cards change) and
        through the output transform (again when the transform, white balance included, or the gain change too) —
        and copied; the full pass runs only in the pixel rectangle the inner frusta cover
        (:class:`stage.core.geometry.frustum_cover.WallCover`, scissored), reading the outer colour from the
        scene-linear cache. A frame whose caches would be stale and which differs from the last frame too draws
        the whole wall instead. Exact: the caches are this same pass without cameras (the scene one stops before
        the gain, in RGBA32F; the output one in the target's own format, or RGBA32F copied by a shader), drawn at
        the wall's origin modulo 2, and every pixel an inner frustum touches is inside the rectangle."""
        from OpenGL import GL

        # Drawn where the wall will be drawn, modulo 2: the cube map's level of detail comes from differences
        # across 2×2 pixel quads, which at the wall's edges reach outside it; the same quads, the same values.
        at = (origin_gl[0] % 2, origin_gl[1] % 2)
        scene_key = (at, outer.version, tuple(frame.outer_eye_m), _cards_key(mine))
        fmt = blit_format()  # of the target, bound now
        draw_fb = int(GL.glGetIntegerv(GL.GL_DRAW_FRAMEBUFFER_BINDING))  # a new Framebuffer binds itself
        read_fb = int(GL.glGetIntegerv(GL.GL_READ_FRAMEBUFFER_BINDING))
        entry = self._outer_caches.get(surface)
        if entry is None:
            entry = self._outer_caches[surface] = OuterCache(
                Framebuffer(surface.width_px + 1, surface.height_px + 1, "rgba32f", depth=False))
        output = entry.output_for(fmt)
        output_key = (transform, gain, scene_key)
        if entry.output_key != output_key and entry.last_key != output_key:
            # Changed since the last frame, and likely to change again (a fader, an animated outer frustum):
            # drawing the caches would cost more than the whole wall, so the whole wall it is (from the scene
            # cache where that is still valid); the caches follow once a frame repeats the last one.
            entry.last_key = output_key
            GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, draw_fb)
            GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, read_fb)
            if entry.scene_key == scene_key:
                entry.scene.color.bind(OUTER_CACHE_TEXTURE_UNIT)
                self._draw(self.program_for(count, 0, frame.chroma_key, defines, OUTER_CACHED), surface, origin_gl,
                           frame, count, inner, outer, [], transform, gain, at)
            else:
                self._draw(self.program_for(count, len(mine), frame.chroma_key, defines), surface, origin_gl, frame,
                           count, inner, outer, mine, transform, gain)
            return
        if entry.output_key != output_key:
            if entry.scene_key != scene_key:
                entry.scene.bind()
                self._draw(self.program_for(0, len(mine), False, "", OUTER_SCENE), surface, at, frame, 0,
                           inner, outer, mine, transform, gain)
                entry.scene_key = scene_key
            output.bind()
            entry.scene.color.bind(OUTER_CACHE_TEXTURE_UNIT)
            self._draw(self.program_for(0, 0, False, defines, OUTER_CACHED), surface, at, frame, 0, inner,
                       outer, [], transform, gain, at)
            entry.output_key = output_key
        GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, draw_fb)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, read_fb)
        GL.glDisable(GL.GL_SCISSOR_TEST)
        if entry.blit:
            entry.blit_to(at, origin_gl, (surface.width_px, surface.height_px))
        else:
            self._copy_in(output, surface, at, origin_gl)
        rect = surface.cover.rect(frame.inner_clip[:count]) if count else None
        if rect is None:
            return
        x0, y0, x1, y1 = rect  # image rows (0 at the top) → GL rows (0 at the bottom)
        GL.glEnable(GL.GL_SCISSOR_TEST)
        GL.glScissor(origin_gl[0] + x0, origin_gl[1] + surface.height_px - y1, x1 - x0, y1 - y0)
        try:
            entry.scene.color.bind(OUTER_CACHE_TEXTURE_UNIT)
            self._draw(self.program_for(count, 0, frame.chroma_key, defines, OUTER_CACHED), surface, origin_gl,
                       frame, count, inner, outer, [], transform, gain, at)
        finally:
            GL.glDisable(GL.GL_SCISSOR_TEST)

    def _copy_in(self, output: Framebuffer, surface: WallSurface, at: tuple[int, int],
                 origin_gl: tuple[int, int]) -> None:
        """Copy an RGBA32F output cache into the bound framebuffer with a shader (targets a blit cannot copy into
        exactly: :func:`renderer.gl.wall_cache.blit_format`)."""
        from OpenGL import GL

        if self._copy is None:
            self._copy = Program({"vertex": FULLSCREEN_VERTEX_SHADER, "fragment": COPY_FRAGMENT_SHADER},
                                 "wall outer cache copy")
        self._copy.use()
        GL.glViewport(origin_gl[0], origin_gl[1], surface.width_px, surface.height_px)
        GL.glDisable(GL.GL_DEPTH_TEST)
        GL.glDisable(GL.GL_BLEND)
        output.color.bind(OUTER_CACHE_TEXTURE_UNIT)
        self._copy.set_int("outer_cache", OUTER_CACHE_TEXTURE_UNIT)
        GL.glUniform2i(self._copy.location("viewport_origin"), *origin_gl)
        GL.glUniform2i(self._copy.location("cache_origin"), *at)
        self.triangle.draw()

    def _draw(self, p: Program, surface: WallSurface, origin_gl: tuple[int, int], frame: WallFrame, count: int,
              inner: LayeredTarget, outer: CubeTarget, mine: list[PlacedCard], transform: OutputTransform,
              gain: float, cache_at: tuple[int, int] = (0, 0)) -> None:
        """One draw of ``p`` over the wall's viewport at ``origin_gl``; ``cache_at``: where the wall's bottom-left
        pixel is in its scene cache (variants reading it)."""
        from OpenGL import GL

        p.use()
        GL.glViewport(origin_gl[0], origin_gl[1], surface.width_px, surface.height_px)
        GL.glDisable(GL.GL_DEPTH_TEST)
        GL.glDisable(GL.GL_BLEND)
        surface.position_map.bind(0)
        inner.bind_texture(1)
        outer.bind_texture(2)
        GL.glUniform2i(p.location("viewport_origin"), *origin_gl)
        GL.glUniform2i(p.location("size_px"), surface.width_px, surface.height_px)
        GL.glUniform2i(p.location("outer_scene_origin"), *cache_at)
        p.set_float("pitch_m", *surface.pitch_m)
        p.set_float("outer_eye", *frame.outer_eye_m)
        if count:
            stack = np.stack([np.asarray(m, dtype=np.float32) for m in frame.inner_clip[:count]])
            GL.glUniformMatrix4fv(p.location("inner_clip"), count, GL.GL_TRUE, np.ascontiguousarray(stack))
        p.set_float("soft_edge_ndc", 2.0 * frame.soft_edge_pct / 100.0)
        if frame.chroma_key:
            p.set_float("key_color", *frame.key_color)
            p.set_int("marker_grid", int(frame.marker_grid))
            p.set_float("marker_spacing_m", frame.marker_spacing_m)
        if mine:
            def vecs(attr: str) -> np.ndarray:
                return np.ascontiguousarray(np.stack([np.asarray(getattr(c, attr), dtype=np.float32) for c in mine]))

            GL.glUniform3fv(p.location("card_center"), len(mine), vecs("center_m"))
            GL.glUniform3fv(p.location("card_right"), len(mine), vecs("right"))
            GL.glUniform3fv(p.location("card_up"), len(mine), vecs("up"))
            GL.glUniform2fv(p.location("card_half_m"), len(mine), vecs("half_size_m"))
            GL.glUniform3fv(p.location("card_color"), len(mine), vecs("color"))
            GL.glUniform1iv(p.location("card_shape"), len(mine), np.array([int(c.ellipse) for c in mine], np.int32))
            GL.glUniform1fv(p.location("card_soft"), len(mine), np.array([c.softness for c in mine], np.float32))
        p.set_float("gain", gain)
        set_output_uniforms(p, transform, self.luts)
        self.triangle.draw()

    def delete(self) -> None:
        for program in [*self._programs.values(), *([self._copy] if self._copy else [])]:
            program.delete()
        self._programs.clear()
        self._copy = None
        for entry in self._outer_caches.values():
            entry.delete()
        self._outer_caches.clear()
        self.luts.delete()
        self.triangle.delete()
