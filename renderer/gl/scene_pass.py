"""The scene pass: draws a :class:`~stage.config.scene.SceneConfig` from any camera into the bound framebuffer.

One :class:`ScenePass` per GL context (3.3 core). :meth:`ScenePass.draw` takes ``view`` (camera_from_world) and
``projection`` (clip_from_camera) in OpenGL conventions (CONVENTIONS.md; world = stage axes, metres) and draws:

1. a full-screen background pass that ray-traces each pixel's world ray (from the inverse view-projection, so
   any camera works: off-axis frusta, cube-map faces): the gradient/solid sky with a soft sun disc at the far
   plane, or the infinite ground plane with an anti-aliased grid, lit like the objects and faded into the
   horizon colour with distance, writing its true depth. It covers every pixel with depth test ``ALWAYS``, so
   it doubles as the clear: the caller need not clear colour or depth;
2. the objects, one instanced draw per primitive kind present, depth test ``LESS``, back faces culled, shaded
   ``albedo · (sun · max(n·l, 0) + ambient + emissive)``.

Output is scene-linear RGB with alpha 1 (use a float target, e.g. RGBA16F). The caller sets the viewport.
GL state left behind is GL's default for what the pass touches (depth test, blending and face culling off, depth
writes on, depth func ``LESS``, no VAO bound), except that the objects program stays in use and ``SceneBlock``
stays on uniform-buffer binding :data:`SCENE_UBO_BINDING`.

GL calls per :meth:`~ScenePass.draw`: ``15 + 2 · (number of kinds present)`` - 21 for ``scenes/demo.yaml``.
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
from renderer.meshes import MESH_KINDS, mesh_for_kind, normal_matrix, object_matrix, placement_matrix, sun_direction
from stage.config.scene import SceneConfig

logger = logging.getLogger(__name__)

SHADER_DIR = Path(__file__).with_name("shaders")
#: Uniform-buffer binding point of the ``SceneBlock`` uniform block.
SCENE_UBO_BINDING = 7
#: Brightness of the sun disc in the sky, in multiples of ``sun.color · sun.intensity`` (gradient skies only).
SUN_DISC_GAIN = 4.0
#: Distance (scene metres, scaled by the placement) at which the ground has faded 63 % into the horizon colour.
GROUND_FADE_M = 150.0

_FRAME_BYTES = 2 * 64  # clip_from_world, world_from_clip
_BLOCK_BYTES = 4 * 64 + 9 * 16
_INSTANCE_FLOATS = 16 + 9 + 4  # scene_from_object (mat4), normal matrix (mat3), albedo (rgb + emissive)
_VERTEX_BYTES = 6 * 4


def load_shader(name: str) -> str:
    """GLSL source of ``shaders/<name>.glsl`` with ``#include "file"`` lines replaced by that file's text."""
    lines = []
    for line in (SHADER_DIR / f"{name}.glsl").read_text(encoding="utf-8").splitlines():
        if line.startswith("#include"):
            line = (SHADER_DIR / line.split('"')[1]).read_text(encoding="utf-8")
        lines.append(line)
    return "\n".join(lines) + "\n"


def scene_block(scene: SceneConfig, offset_m: Sequence[float], yaw_deg: float, scale: float) -> np.ndarray:
    """The scene part of ``SceneBlock`` (std140, after the per-frame matrices) as float32, for these placements."""
    world_from_scene = placement_matrix(offset_m, yaw_deg, scale)
    sun = scene.sun
    sun_rgb = np.asarray(sun.color) * sun.intensity
    if scene.sky.kind == "gradient":
        zenith, horizon, nadir = scene.sky.zenith, scene.sky.horizon, scene.sky.nadir
        disc = SUN_DISC_GAIN if sun.intensity > 0.0 else 0.0
    else:
        zenith = horizon = nadir = scene.sky.color
        disc = 0.0
    ground = scene.ground
    ground_z = float(offset_m[2]) + scale * ground.height_m
    vectors = [
        (*sun_direction(sun.azimuth_deg, sun.elevation_deg, yaw_deg), disc),
        (*sun_rgb, 0.0),
        (*scene.ambient, 0.0),
        (*zenith, 0.0),
        (*horizon, 0.0),
        (*nadir, 0.0),
        (*ground.color, 1.0 if ground.enabled else 0.0),
        (*ground.grid_color, ground.grid_spacing_m),
        (ground_z, ground.grid_line_width_m, GROUND_FADE_M * scale, 0.0),
    ]
    mats = [world_from_scene.T.ravel(), np.linalg.inv(world_from_scene).T.ravel()]
    return np.concatenate([*mats, np.asarray(vectors, dtype=float).ravel()]).astype(np.float32)


def instance_data(scene: SceneConfig) -> dict[str, np.ndarray]:
    """Per kind, an (n × 29) float32 array of per-instance attributes, objects in scene order."""
    rows: dict[str, list[np.ndarray]] = {kind: [] for kind in MESH_KINDS}
    for obj in scene.objects:
        m = object_matrix(obj)
        albedo = [*obj.color, obj.emissive]
        rows[obj.kind].append(np.concatenate([m.T.ravel(), normal_matrix(m).T.ravel(), albedo]))
    return {k: np.asarray(v, dtype=np.float32).reshape(-1, _INSTANCE_FLOATS) for k, v in rows.items()}


class ScenePass:
    """Draws a scene (sky, ground, objects) into the bound framebuffer; see the module docstring."""

    def __init__(self, scene: SceneConfig) -> None:
        """Compile the programs and upload the unit meshes and ``scene``; needs a current GL context."""
        from OpenGL import GL

        self._gl: Any = GL
        self.time_s = 0.0
        self._background, self._objects = (
            Program(
                {"vertex": load_shader(f"scene_{n}.vert"), "fragment": load_shader(f"scene_{n}.frag")}, f"scene {n}"
            )
            for n in ("background", "object")
        )
        for program in (self._background, self._objects):
            block = GL.glGetUniformBlockIndex(program.handle, "SceneBlock")
            GL.glUniformBlockBinding(program.handle, block, SCENE_UBO_BINDING)
        self._ubo, self._mesh_vbo, self._ebo, self._instance_vbo = (int(b) for b in GL.glGenBuffers(4))
        GL.glBindBuffer(GL.GL_UNIFORM_BUFFER, self._ubo)
        GL.glBufferData(GL.GL_UNIFORM_BUFFER, _BLOCK_BYTES, None, GL.GL_DYNAMIC_DRAW)
        self._empty_vao = int(GL.glGenVertexArrays(1))
        self._vaos = {kind: int(GL.glGenVertexArrays(1)) for kind in MESH_KINDS}
        self._upload_meshes()
        self._draws: list[tuple[int, int, ctypes.c_void_p, int]] = []
        self.set_scene(scene)

    def _upload_meshes(self) -> None:
        GL = self._gl
        meshes = [mesh_for_kind(kind) for kind in MESH_KINDS]
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._mesh_vbo)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, np.concatenate([m.vertices for m in meshes]), GL.GL_STATIC_DRAW)
        self._index_ranges: dict[str, tuple[int, int]] = {}  # kind -> (index count, byte offset)
        vertex_base = index_base = 0
        for kind, mesh in zip(MESH_KINDS, meshes, strict=True):
            GL.glBindVertexArray(self._vaos[kind])
            GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, self._ebo)  # recorded in the VAO
            for location, offset in ((0, 0), (1, 12)):
                GL.glEnableVertexAttribArray(location)
                pointer = ctypes.c_void_p(vertex_base * _VERTEX_BYTES + offset)
                GL.glVertexAttribPointer(location, 3, GL.GL_FLOAT, GL.GL_FALSE, _VERTEX_BYTES, pointer)
            self._index_ranges[kind] = (mesh.indices.size, index_base * 4)
            vertex_base += len(mesh.vertices)
            index_base += mesh.indices.size
        GL.glBindVertexArray(0)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, self._ebo)
        GL.glBufferData(
            GL.GL_ELEMENT_ARRAY_BUFFER, np.concatenate([m.indices.ravel() for m in meshes]), GL.GL_STATIC_DRAW
        )

    def set_scene(self, scene: SceneConfig) -> None:
        """Use ``scene``: re-upload its objects, lights, sky, ground and placement."""
        GL = self._gl
        self.scene = scene
        per_kind = instance_data(scene)
        stride = _INSTANCE_FLOATS * 4
        data = np.concatenate([per_kind[kind] for kind in MESH_KINDS] + [np.zeros((1, _INSTANCE_FLOATS), np.float32)])
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._instance_vbo)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, data, GL.GL_STATIC_DRAW)
        self._draws = []
        first = 0
        for kind in MESH_KINDS:
            count = len(per_kind[kind])
            GL.glBindVertexArray(self._vaos[kind])
            # (location, components, float offset): mat4 columns 2-5, mat3 columns 6-8, albedo 9.
            layout = [(2 + i, 4, 4 * i) for i in range(4)] + [(6 + i, 3, 16 + 3 * i) for i in range(3)] + [(9, 4, 25)]
            for location, size, offset in layout:
                GL.glEnableVertexAttribArray(location)
                pointer = ctypes.c_void_p(first * stride + offset * 4)
                GL.glVertexAttribPointer(location, size, GL.GL_FLOAT, GL.GL_FALSE, stride, pointer)
                GL.glVertexAttribDivisor(location, 1)
            if count:
                index_count, index_offset = self._index_ranges[kind]
                self._draws.append((self._vaos[kind], index_count, ctypes.c_void_p(index_offset), count))
            first += count
        GL.glBindVertexArray(0)
        p = scene.placement
        self.set_placement(p.offset_m, p.yaw_deg, p.scale)

    def set_placement(self, offset_m: Sequence[float], yaw_deg: float, scale: float) -> None:
        """Move the scene in the stage (``p_stage = offset_m + scale · Rz(yaw_deg) · p_scene``); one small upload.

        Overrides ``scene.placement`` until the next :meth:`set_scene`; the scene model is not modified.
        """
        if not scale > 0.0:
            raise ValueError(f"placement scale must be positive, got {scale}")
        self.placement = (tuple(float(v) for v in offset_m), float(yaw_deg), float(scale))
        block = scene_block(self.scene, *self.placement)
        GL = self._gl
        GL.glBindBuffer(GL.GL_UNIFORM_BUFFER, self._ubo)
        GL.glBufferSubData(GL.GL_UNIFORM_BUFFER, _FRAME_BYTES, block.nbytes, block)

    def draw(self, view: np.ndarray, projection: np.ndarray, time_s: float = 0.0) -> None:
        """Draw the scene seen through ``projection @ view`` into the bound framebuffer and viewport.

        ``view`` is camera_from_world (4×4), ``projection`` clip_from_camera (4×4, OpenGL clip convention).
        ``time_s`` (seconds) is reserved for animation and time of day; it does not change the image yet.
        """
        self.time_s = float(time_s)
        clip_from_world = np.asarray(projection, dtype=float) @ np.asarray(view, dtype=float)
        frame = np.empty((2, 4, 4), np.float32)
        frame[0] = clip_from_world.T  # std140 mat4: column-major
        frame[1] = np.linalg.inv(clip_from_world).T
        GL = self._gl
        GL.glBindBufferBase(GL.GL_UNIFORM_BUFFER, SCENE_UBO_BINDING, self._ubo)
        GL.glBufferSubData(GL.GL_UNIFORM_BUFFER, 0, _FRAME_BYTES, frame)
        GL.glEnable(GL.GL_DEPTH_TEST)
        GL.glDepthMask(GL.GL_TRUE)
        GL.glDisable(GL.GL_BLEND)
        GL.glDepthFunc(GL.GL_ALWAYS)
        GL.glUseProgram(self._background.handle)
        GL.glBindVertexArray(self._empty_vao)
        GL.glDrawArrays(GL.GL_TRIANGLES, 0, 3)
        GL.glDepthFunc(GL.GL_LESS)
        GL.glEnable(GL.GL_CULL_FACE)
        GL.glUseProgram(self._objects.handle)
        for vao, index_count, index_offset, instances in self._draws:
            GL.glBindVertexArray(vao)
            GL.glDrawElementsInstanced(GL.GL_TRIANGLES, index_count, GL.GL_UNSIGNED_INT, index_offset, instances)
        GL.glBindVertexArray(0)
        GL.glDisable(GL.GL_CULL_FACE)
        GL.glDisable(GL.GL_DEPTH_TEST)

    def delete(self) -> None:
        """Free the GL objects; safe to call twice. Needs the context current."""
        if not self._ubo:
            return
        GL = self._gl
        self._background.delete()
        self._objects.delete()
        GL.glDeleteBuffers(4, [self._ubo, self._mesh_vbo, self._ebo, self._instance_vbo])
        GL.glDeleteVertexArrays(1 + len(self._vaos), [self._empty_vao, *self._vaos.values()])
        self._ubo = 0
        self._draws = []
