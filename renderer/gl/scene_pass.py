"""The scene pass: draws a :class:`~stage.core.config.scene.SceneConfig` from any camera into the bound framebuffer.

One :class:`ScenePass` per GL context (3.3 core). :meth:`ScenePass.draw` takes ``view`` (camera_from_world) and
``projection`` (clip_from_camera) in OpenGL conventions (CONVENTIONS.md; world = stage axes, metres) and draws:

1. a full-screen background pass that ray-traces each pixel's world ray (from the inverse view-projection, so
   any camera works: off-axis frusta, cube-map faces): the gradient/solid sky with a soft sun disc at the far
   plane or the equirectangular panorama, or the infinite ground plane with an anti-aliased grid, lit like the
   objects, faded into the horizon colour with distance and fogged, writing its true depth. It covers every
   pixel with depth test ``ALWAYS``, so it doubles as the clear: the caller need not clear colour or depth;
2. the primitives, one instanced draw per kind present (box, sphere, cylinder, plane; ``array`` copies join
   their kind's draw), depth test ``LESS``, back faces culled;
3. the meshes with their own buffers (terrain, textured planes, glTF primitives), one draw each.

Surfaces are shaded ``albedo · (sun · max(n·l, 0) + ambient + emissive + point lights)`` then fogged
(:mod:`renderer.gl.scene_geometry` has the CPU side and the time-of-day formulas).

Output is scene-linear RGB with alpha 1 (use a float target, e.g. RGBA16F). The caller sets the viewport.
GL state left behind is GL's default for what the pass touches (depth test, blending and face culling off, depth
writes on, depth func ``LESS``, no VAO bound, texture unit 0 active), except that the objects program stays in
use, ``SceneBlock`` stays on uniform-buffer binding :data:`SCENE_UBO_BINDING` and textures stay bound.

GL calls per :meth:`~ScenePass.draw`: ``15 + 2 · (instanced kinds present)`` (21 for ``scenes/demo.yaml``),
+ 2 with a panorama, + 2 with spinning primitives, + 2 to 5 per own-buffer mesh.
OpenGL is imported inside the methods; importing this module does no GL work.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from renderer.gl.program import Program
from renderer.gl.scene_geometry import (
    BLOCK_FLOATS,
    INSTANCE_FLOATS,
    INSTANCED_KINDS,
    PreparedScene,
    instance_row,
    prepare_scene,
    scene_block,
)
from renderer.gl.scene_textures import MeshBuffers, upload_mesh, upload_texture
from renderer.meshes import mesh_for_kind, object_matrix
from stage.core.config.color import ColorManagement
from stage.core.config.scene import SceneConfig

logger = logging.getLogger(__name__)

SHADER_DIR = Path(__file__).with_name("shaders")
#: Uniform-buffer binding point of the ``SceneBlock`` uniform block.
SCENE_UBO_BINDING = 7
_FRAME_BYTES = 2 * 64 + 16  # clip_from_world, world_from_clip, eye + time
_PANORAMA_UNIT = 1


def load_shader(name: str) -> str:
    """GLSL source of ``shaders/<name>.glsl`` with ``#include "file"`` lines replaced by that file's text."""
    lines = []
    for line in (SHADER_DIR / f"{name}.glsl").read_text(encoding="utf-8").splitlines():
        if line.startswith("#include"):
            line = (SHADER_DIR / line.split('"')[1]).read_text(encoding="utf-8")
        lines.append(line)
    return "\n".join(lines) + "\n"


def _with_defines(source: str, defines: str) -> str:
    """``defines`` inserted right after the ``#version`` line of ``source``."""
    version, rest = source.split("\n", 1)
    return f"{version}\n{defines}{rest}"


class ScenePass:
    """Draws a scene (sky, ground, objects) into the bound framebuffer; see the module docstring."""

    def __init__(self, scene: SceneConfig | PreparedScene, color: ColorManagement | None = None) -> None:
        """Compile the programs and upload the unit meshes and ``scene``; needs a current GL context. ``color``:
        the stage's colour management, whose working space textures are converted into (a config is prepared)."""
        from OpenGL import GL

        self.color = color
        self._gl: Any = GL
        self.time_s = 0.0
        self.time_of_day_h: float | None = None
        self._variants: dict[tuple[int, bool, bool], tuple[Program, Program]] = {}
        self._ubo, self._instance_vbo, self._custom_vbo = (int(b) for b in GL.glGenBuffers(3))
        GL.glBindBuffer(GL.GL_UNIFORM_BUFFER, self._ubo)
        GL.glBufferData(GL.GL_UNIFORM_BUFFER, _FRAME_BYTES + 4 * BLOCK_FLOATS, None, GL.GL_DYNAMIC_DRAW)
        self._empty_vao = int(GL.glGenVertexArrays(1))
        self._unit = {kind: upload_mesh(GL, mesh_for_kind(kind).gpu_vertices(), mesh_for_kind(kind).indices)
                      for kind in INSTANCED_KINDS}
        self._draws: list[tuple[int, int, int]] = []  # (vao, index count, instances)
        self._custom: list[tuple[MeshBuffers, int, bool]] = []  # (buffers, texture or 0, double-sided)
        self._panorama = 0
        self.set_scene(scene)

    def _use_variant(self, config: SceneConfig) -> None:
        """Select (compiling on first use) the programs with this scene's point-light count, fog and panorama sky
        compiled in (``POINT_LIGHTS``, ``FOG``, ``PANORAMA``)."""
        GL = self._gl
        key = (len(config.point_lights), config.fog is not None, config.sky.kind == "panorama")
        if key not in self._variants:
            defines = f"#define POINT_LIGHTS {key[0]}\n#define FOG {int(key[1])}\n#define PANORAMA {int(key[2])}\n"
            programs = tuple(
                Program({"vertex": _with_defines(load_shader(f"scene_{n}.vert"), defines),
                         "fragment": _with_defines(load_shader(f"scene_{n}.frag"), defines)},
                        f"scene {n} [lights={key[0]}, fog={int(key[1])}, panorama={int(key[2])}]")
                for n in ("background", "object")
            )
            for program in programs:
                block = GL.glGetUniformBlockIndex(program.handle, "SceneBlock")
                GL.glUniformBlockBinding(program.handle, block, SCENE_UBO_BINDING)
            programs[0].use()
            programs[0].set_int("u_panorama", _PANORAMA_UNIT)
            programs[1].use()
            programs[1].set_int("u_base_color", 0)
            programs[1].set_int("u_textured", 0)
            self._variants[key] = programs  # type: ignore[assignment]
        self._background, self._objects = self._variants[key]
        self._textured_loc = self._objects.location("u_textured")

    def set_scene(self, scene: SceneConfig | PreparedScene) -> None:
        """Use ``scene`` (a config is prepared here, reading its assets; a :class:`PreparedScene` only uploads)."""
        GL = self._gl
        prepared = scene if isinstance(scene, PreparedScene) else prepare_scene(scene, self.color)
        self._use_variant(prepared.config)
        self._free_scene()
        self.prepared = prepared
        self.scene = prepared.config
        stride = INSTANCE_FLOATS * 4
        self._first: dict[str, int] = {}
        data = [prepared.instances[k] for k in INSTANCED_KINDS] + [np.zeros((1, INSTANCE_FLOATS), np.float32)]
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._instance_vbo)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, np.concatenate(data), GL.GL_STATIC_DRAW)
        first = 0
        for kind in INSTANCED_KINDS:
            count, unit = len(prepared.instances[kind]), self._unit[kind]
            _instance_pointers(GL, unit.vao, self._instance_vbo, first * stride)
            if count:
                self._draws.append((unit.vao, unit.index_count, count))
            self._first[kind] = first
            first += count
        rows = np.stack([c.row for c in prepared.custom]) if prepared.custom else np.zeros((1, INSTANCE_FLOATS))
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._custom_vbo)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, rows.astype(np.float32), GL.GL_DYNAMIC_DRAW)
        for i, c in enumerate(prepared.custom):
            buffers = upload_mesh(GL, c.vertices, c.indices)
            _instance_pointers(GL, buffers.vao, self._custom_vbo, i * stride)
            texture = upload_texture(GL, c.texture, repeat=True) if c.texture is not None else 0
            self._custom.append((buffers, texture, c.double_sided))
        GL.glBindVertexArray(0)
        if prepared.panorama is not None:
            self._panorama = upload_texture(GL, prepared.panorama, repeat=True)
        p = prepared.config.placement
        self.set_placement(p.offset_m, p.yaw_deg, p.scale)

    def set_placement(self, offset_m: Sequence[float], yaw_deg: float, scale: float) -> None:
        """Move the scene in the stage (``p_stage = offset_m + scale · Rz(yaw_deg) · p_scene``); one small upload.

        Overrides ``scene.placement`` until the next :meth:`set_scene`; the scene model is not modified.
        """
        if not scale > 0.0:
            raise ValueError(f"placement scale must be positive, got {scale}")
        self.placement = (tuple(float(v) for v in offset_m), float(yaw_deg), float(scale))
        self._upload_block()

    def set_time_of_day(self, hours: float | None) -> None:
        """Time of day in hours (None: the scene's own ``time_of_day.hours``); only scenes with ``time_of_day``
        change. One small upload."""
        self.time_of_day_h = None if hours is None else float(hours)
        self._upload_block()

    def _upload_block(self) -> None:
        block = scene_block(self.prepared, *self.placement, self.time_of_day_h)
        GL = self._gl
        GL.glBindBuffer(GL.GL_UNIFORM_BUFFER, self._ubo)
        GL.glBufferSubData(GL.GL_UNIFORM_BUFFER, _FRAME_BYTES, block.nbytes, block)

    def _animate(self, time_s: float) -> None:
        """Re-upload the instance rows of spinning objects for ``time_s``: primitives, and meshes with their own
        buffers (glTF models, terrain, textured planes), whose rows keep their colour."""
        GL, stride = self._gl, INSTANCE_FLOATS * 4
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._instance_vbo)
        for kind, row, index in self.prepared.spinning:
            obj = self.scene.objects[index]
            data = instance_row(object_matrix(obj, time_s), obj.color, obj.emissive)
            GL.glBufferSubData(GL.GL_ARRAY_BUFFER, (self._first[kind] + row) * stride, data.nbytes, data)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._custom_vbo)
        for i, custom in enumerate(self.prepared.custom):
            if custom.spin is not None:
                obj = self.scene.objects[custom.spin[0]]
                data = instance_row(object_matrix(obj, time_s), custom.row[-4:-1], float(custom.row[-1]))
                GL.glBufferSubData(GL.GL_ARRAY_BUFFER, i * stride, data.nbytes, data)

    def draw(self, view: np.ndarray, projection: np.ndarray, time_s: float = 0.0) -> None:
        """Draw the scene seen through ``projection @ view`` into the bound framebuffer and viewport.

        ``view`` is camera_from_world (4×4), ``projection`` clip_from_camera (4×4, OpenGL clip convention).
        ``time_s`` (seconds) drives animation (``spin_deg_per_s``): same time, same image.
        """
        self.time_s = float(time_s)
        view = np.asarray(view, dtype=float)
        clip_from_world = np.asarray(projection, dtype=float) @ view
        frame = np.empty(2 * 16 + 4, np.float32)
        frame[:16] = clip_from_world.T.ravel()  # std140 mat4: column-major
        frame[16:32] = np.linalg.inv(clip_from_world).T.ravel()
        frame[32:35] = np.linalg.inv(view)[:3, 3]
        frame[35] = self.time_s
        GL = self._gl
        if self.prepared.animated:
            self._animate(self.time_s)
        GL.glBindBufferBase(GL.GL_UNIFORM_BUFFER, SCENE_UBO_BINDING, self._ubo)
        GL.glBufferSubData(GL.GL_UNIFORM_BUFFER, 0, _FRAME_BYTES, frame)
        GL.glEnable(GL.GL_DEPTH_TEST)
        GL.glDepthMask(GL.GL_TRUE)
        GL.glDisable(GL.GL_BLEND)
        GL.glDepthFunc(GL.GL_ALWAYS)
        GL.glUseProgram(self._background.handle)
        if self._panorama:
            GL.glActiveTexture(GL.GL_TEXTURE0 + _PANORAMA_UNIT)
            GL.glBindTexture(GL.GL_TEXTURE_2D, self._panorama)
            GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindVertexArray(self._empty_vao)
        GL.glDrawArrays(GL.GL_TRIANGLES, 0, 3)
        GL.glDepthFunc(GL.GL_LESS)
        GL.glEnable(GL.GL_CULL_FACE)
        GL.glUseProgram(self._objects.handle)
        for vao, index_count, instances in self._draws:
            GL.glBindVertexArray(vao)
            GL.glDrawElementsInstanced(GL.GL_TRIANGLES, index_count, GL.GL_UNSIGNED_INT, None, instances)
        self._draw_custom()
        GL.glBindVertexArray(0)
        GL.glDisable(GL.GL_CULL_FACE)
        GL.glDisable(GL.GL_DEPTH_TEST)

    def _draw_custom(self) -> None:
        GL, textured, culled = self._gl, False, True
        for buffers, texture, double in self._custom:
            GL.glBindVertexArray(buffers.vao)
            if double == culled:
                (GL.glDisable if double else GL.glEnable)(GL.GL_CULL_FACE)
                culled = not double
            if bool(texture) != textured:
                textured = bool(texture)
                GL.glUniform1i(self._textured_loc, int(textured))
                if textured:  # other passes may leave another unit active
                    GL.glActiveTexture(GL.GL_TEXTURE0)
            if texture:
                GL.glBindTexture(GL.GL_TEXTURE_2D, texture)
            GL.glDrawElementsInstanced(GL.GL_TRIANGLES, buffers.index_count, GL.GL_UNSIGNED_INT, None, 1)
        if textured:
            GL.glUniform1i(self._textured_loc, 0)

    def _free_scene(self) -> None:
        GL = self._gl
        for buffers, texture, _ in self._custom:
            buffers.delete(GL)
            if texture:
                GL.glDeleteTextures(1, [texture])
        if self._panorama:
            GL.glDeleteTextures(1, [self._panorama])
        self._custom, self._draws, self._panorama = [], [], 0

    def delete(self) -> None:
        """Free the GL objects; safe to call twice. Needs the context current."""
        if not self._ubo:
            return
        GL = self._gl
        self._free_scene()
        for programs in self._variants.values():
            for program in programs:
                program.delete()
        self._variants.clear()
        for buffers in self._unit.values():
            buffers.delete(GL)
        GL.glDeleteBuffers(3, [self._ubo, self._instance_vbo, self._custom_vbo])
        GL.glDeleteVertexArrays(1, [self._empty_vao])
        self._ubo = 0


def _instance_pointers(GL: Any, vao: int, vbo: int, byte_offset: int) -> None:  # noqa: N803 - GL module
    """Point ``vao``'s per-instance attributes (locations 2-9) at ``vbo`` from ``byte_offset``."""
    stride = INSTANCE_FLOATS * 4
    GL.glBindVertexArray(vao)
    GL.glBindBuffer(GL.GL_ARRAY_BUFFER, vbo)
    # (location, components, float offset): mat4 columns 2-5, mat3 columns 6-8, albedo 9.
    layout = [(2 + i, 4, 4 * i) for i in range(4)] + [(6 + i, 3, 16 + 3 * i) for i in range(3)] + [(9, 4, 25)]
    for location, size, offset in layout:
        GL.glEnableVertexAttribArray(location)
        pointer = ctypes.c_void_p(byte_offset + offset * 4)
        GL.glVertexAttribPointer(location, size, GL.GL_FLOAT, GL.GL_FALSE, stride, pointer)
        GL.glVertexAttribDivisor(location, 1)
