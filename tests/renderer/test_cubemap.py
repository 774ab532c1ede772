"""Cube-map face cameras: the numpy convention, then a real GL cube map rendered and sampled by direction."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from renderer.cubemap import CUBE_FACES, cube_face_projection, cube_face_views, cube_map_lookup, face_axes
from renderer.gl import GLContext
from renderer.gl.program import Program
from renderer.gl.resources import FULLSCREEN_VERTEX_SHADER, Framebuffer, FullscreenTriangle
from renderer.gl.scene_pass import ScenePass
from stage.core.config.scene import SceneConfig

AXES = {"+X": (0, 1.0), "-X": (0, -1.0), "+Y": (1, 1.0), "-Y": (1, -1.0), "+Z": (2, 1.0), "-Z": (2, -1.0)}


def test_face_cameras_are_proper_rotations_looking_down_their_axis() -> None:
    position = np.array([0.5, -1.0, 1.5])
    views = cube_face_views(position)
    assert [name for name, _ in views] == list(CUBE_FACES)
    for name, view in views:
        rotation = view[:3, :3]
        assert np.allclose(rotation @ rotation.T, np.eye(3)) and np.isclose(np.linalg.det(rotation), 1.0)
        assert np.allclose(view @ np.append(position, 1.0), [0.0, 0.0, 0.0, 1.0])
        axis, sign = AXES[name]
        forward = -rotation[2]  # GL cameras look down −Z
        assert np.allclose(forward, sign * np.eye(3)[axis])
    right, up, forward = face_axes("+X")
    assert np.allclose(right, [0, 0, -1]) and np.allclose(up, [0, -1, 0])


def test_face_cameras_match_gl_face_selection() -> None:
    """Projecting a direction with a face's camera lands where GL's table puts it: ndc = 2·(s, t) − 1."""
    projection = cube_face_projection(0.1, 100.0)
    views = dict(cube_face_views((0.0, 0.0, 0.0)))
    rng = np.random.default_rng(7)
    for direction in rng.normal(size=(300, 3)):
        face, s, t = cube_map_lookup(direction)
        clip = projection @ views[CUBE_FACES[face]] @ np.append(direction, 1.0)
        ndc = clip[:3] / clip[3]
        assert clip[3] > 0.0 and np.all(np.abs(ndc[:2]) <= 1.0 + 1e-9)
        assert np.allclose(ndc[:2], [2.0 * s - 1.0, 2.0 * t - 1.0])
    with pytest.raises(ValueError):
        cube_map_lookup((0.0, 0.0, 0.0))


SAMPLE_FRAGMENT_SHADER = """#version 330 core
uniform samplerCube u_cube;
uniform vec3 u_dirs[32];
out vec4 frag_color;
void main() { frag_color = texture(u_cube, u_dirs[int(gl_FragCoord.x)]); }
"""
FACE_SIZE = 64


@pytest.fixture
def cube_texture(gl_context: GLContext) -> Iterator[int]:
    from OpenGL import GL

    texture = int(GL.glGenTextures(1))
    GL.glBindTexture(GL.GL_TEXTURE_CUBE_MAP, texture)
    for i in range(6):
        GL.glTexImage2D(
            GL.GL_TEXTURE_CUBE_MAP_POSITIVE_X + i,
            0,
            GL.GL_RGBA16F,
            FACE_SIZE,
            FACE_SIZE,
            0,
            GL.GL_RGBA,
            GL.GL_FLOAT,
            None,
        )
    for parameter, value in ((GL.GL_TEXTURE_MIN_FILTER, GL.GL_NEAREST), (GL.GL_TEXTURE_MAG_FILTER, GL.GL_NEAREST)):
        GL.glTexParameteri(GL.GL_TEXTURE_CUBE_MAP, parameter, value)
    yield texture
    GL.glDeleteTextures([texture])


def render_cube(scene_pass: ScenePass, texture: int, position: np.ndarray) -> None:
    """Draw the six faces seen from ``position`` into ``texture``, one framebuffer attachment per face."""
    from OpenGL import GL

    fbo, depth = int(GL.glGenFramebuffers(1)), int(GL.glGenRenderbuffers(1))
    GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, depth)
    GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, GL.GL_DEPTH_COMPONENT24, FACE_SIZE, FACE_SIZE)
    GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, fbo)
    GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT, GL.GL_RENDERBUFFER, depth)
    GL.glViewport(0, 0, FACE_SIZE, FACE_SIZE)
    projection = cube_face_projection(0.1, 100.0)
    try:
        for i, (_, view) in enumerate(cube_face_views(position)):
            target = GL.GL_TEXTURE_CUBE_MAP_POSITIVE_X + i
            GL.glFramebufferTexture2D(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, target, texture, 0)
            assert GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER) == GL.GL_FRAMEBUFFER_COMPLETE
            scene_pass.draw(view, projection)
    finally:
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
        GL.glDeleteFramebuffers(1, [fbo])
        GL.glDeleteRenderbuffers(1, [depth])


def sample_cube(texture: int, directions: np.ndarray) -> np.ndarray:
    """``texture(cube, d)`` for each direction, through a one-row framebuffer; returns n × 3 colours."""
    from OpenGL import GL

    n = len(directions)
    target, program, triangle = Framebuffer(n, 1, "rgba32f", depth=False), None, FullscreenTriangle()
    try:
        program = Program({"vertex": FULLSCREEN_VERTEX_SHADER, "fragment": SAMPLE_FRAGMENT_SHADER}, "cube sample")
        target.bind()
        program.use()
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindTexture(GL.GL_TEXTURE_CUBE_MAP, texture)
        program.set_int("u_cube", 0)
        GL.glUniform3fv(program.location("u_dirs"), n, np.ascontiguousarray(directions, dtype=np.float32))
        triangle.draw()
        return target.read()[0, :, :3]
    finally:
        triangle.delete()
        target.delete()
        if program is not None:
            program.delete()


@pytest.mark.gl
def test_cube_map_sampled_by_direction_sees_the_scene(cube_texture: int) -> None:
    """Per axis: a big box straight ahead and a small marker off-centre along (2u + v). Sampling the marker's
    direction returns the marker; its mirror images in s, t and the s/t swap are empty, so no face is flipped,
    turned or transposed."""
    position = np.array([0.5, -1.0, 1.5])
    objects, directions, expected = [], [], []
    for axis in range(3):
        u, v = np.eye(3)[(axis + 1) % 3], np.eye(3)[(axis + 2) % 3]
        for sign in (1.0, -1.0):
            a = sign * np.eye(3)[axis]
            centre_color = np.abs(a) * 0.9 + 0.05 * (sign < 0)
            marker_color = 0.5 * centre_color + 0.25
            for offset, size, color in ((5 * a, 2.0, centre_color), (5 * a + 2 * u + v, 0.8, marker_color)):
                objects.append(
                    {
                        "kind": "box",
                        "position_m": (position + offset).tolist(),
                        "size_m": [size] * 3,
                        "color": color.tolist(),
                        "emissive": 1.0,
                    }
                )
            for d, color in (
                (5 * a, centre_color),
                (5 * a + 2 * u + v, marker_color),
                (5 * a - 2 * u + v, 0),
                (5 * a + 2 * u - v, 0),
                (5 * a + u + 2 * v, 0),
            ):
                directions.append(d)
                expected.append(np.broadcast_to(color, 3))
    scene = SceneConfig.model_validate(
        {
            "name": "cube",
            "objects": objects,
            "sky": {"kind": "solid", "color": [0, 0, 0]},
            "ground": {"enabled": False},
            "sun": {"intensity": 0.0},
            "ambient": [0, 0, 0],
        }
    )
    scene_pass = ScenePass(scene)
    try:
        render_cube(scene_pass, cube_texture, position)
    finally:
        scene_pass.delete()
    colors = sample_cube(cube_texture, np.array(directions))
    assert np.allclose(colors, np.array(expected), atol=2e-3)
