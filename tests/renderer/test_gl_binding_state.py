"""Creating, filling or reading a texture leaves the active unit's bindings as they were.

A pass binds its inputs, then sets its uniforms; the first time a wall shows an OCIO processor, its tables are
uploaded right there. An upload that bound its texture to the active unit and left it there replaced one of the
pass's inputs: a 2D input on that unit read OCIO's PQ table instead (every pixel black), found by
``benchmarks.ocio_transform``. Each action here is checked against a sentinel bound on the active unit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from renderer.gl import ensure_pyopengl_egl
from renderer.gl.color_pass import LutTexture, OcioTextures, ocio_output_transform
from renderer.gl.resources import Texture, kept_binding
from renderer.gl.scene_textures import upload_texture
from renderer.gl.targets import CubeTarget, LayeredTarget
from stage.core.color.cube_lut import CubeLUT, identity_table
from stage.core.color.ocio import DisplayView
from stage.core.config.color import ColorManagement, WallColor

ensure_pyopengl_egl()
from OpenGL import GL  # noqa: E402

pytestmark = pytest.mark.gl

UNIT = 3
BINDINGS = {
    GL.GL_TEXTURE_1D: GL.GL_TEXTURE_BINDING_1D,
    GL.GL_TEXTURE_2D: GL.GL_TEXTURE_BINDING_2D,
    GL.GL_TEXTURE_3D: GL.GL_TEXTURE_BINDING_3D,
    GL.GL_TEXTURE_2D_ARRAY: GL.GL_TEXTURE_BINDING_2D_ARRAY,
    GL.GL_TEXTURE_CUBE_MAP: GL.GL_TEXTURE_BINDING_CUBE_MAP,
}


def _pq_tables() -> OcioTextures:
    management = ColorManagement(ocio_config="ocio://studio-config-latest", working_space="ACEScg")
    shader = ocio_output_transform(WallColor(), management, DisplayView("Rec.2100-PQ - Display")).ocio
    assert {table.dimensions for table in shader.tables} == {1, 2}  # a 1D cusp table and a 2D (folded) PQ LUT
    return OcioTextures(shader)


ACTIONS: dict[str, Callable[[], Callable[[], object]]] = {
    # name: set-up (run before the sentinels are bound) returning the action under test
    "Texture": lambda: lambda: Texture(4, 4, "rgba8"),
    "Texture with data": lambda: lambda: Texture.from_array(np.zeros((2, 3, 4), np.float32)),
    "Texture.read": lambda: Texture(2, 2, "rgba32f").read,
    "LutTexture": lambda: lambda: LutTexture(CubeLUT(2, identity_table(2))),
    "OcioTextures (1D and 2D tables)": lambda: _pq_tables,
    "scene texture": lambda: lambda: upload_texture(GL, np.zeros((4, 4, 4), np.uint8)),
    "LayeredTarget": lambda: lambda: LayeredTarget(4, 4, 2),
    "CubeTarget": lambda: lambda: CubeTarget(8),
    "CubeTarget.generate_mipmaps": lambda: CubeTarget(8).generate_mipmaps,
}


def _bind_sentinels() -> dict[int, int]:
    """A texture of every target bound to :data:`UNIT`, which is left active."""
    GL.glActiveTexture(GL.GL_TEXTURE0 + UNIT)
    sentinels = {}
    for target in BINDINGS:
        sentinels[target] = int(GL.glGenTextures(1))
        GL.glBindTexture(target, sentinels[target])
    return sentinels


def _assert_bound(sentinels: dict[int, int]) -> None:
    assert int(GL.glGetIntegerv(GL.GL_ACTIVE_TEXTURE)) == GL.GL_TEXTURE0 + UNIT
    bound = {target: int(GL.glGetIntegerv(BINDINGS[target])) for target in BINDINGS}
    assert bound == sentinels


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_creating_a_texture_keeps_the_active_units_bindings(gl_context, name: str) -> None:
    action = ACTIONS[name]()
    sentinels = _bind_sentinels()
    action()
    _assert_bound(sentinels)
    GL.glDeleteTextures(list(sentinels.values()))


def test_kept_binding_restores_even_when_the_block_raises(gl_context) -> None:
    sentinels = _bind_sentinels()
    with pytest.raises(RuntimeError), kept_binding("GL_TEXTURE_2D"):
        GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
        raise RuntimeError("upload failed")
    _assert_bound(sentinels)
    GL.glDeleteTextures(list(sentinels.values()))
