"""GLSL shader compilation and program linking with errors that name the shader and carry the driver log.

OpenGL is imported inside the functions, so importing this module does not choose PyOpenGL's platform;
create a context (:func:`renderer.gl.create_context`) first.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np

from renderer.gl.context import GLError

logger = logging.getLogger(__name__)

#: Shader stage names accepted here, mapped to the GL enum names.
STAGES: dict[str, str] = {
    "vertex": "GL_VERTEX_SHADER",
    "fragment": "GL_FRAGMENT_SHADER",
    "geometry": "GL_GEOMETRY_SHADER",
}


class ShaderError(GLError):
    """A shader failed to compile or a program failed to link.

    ``str()`` starts with one line naming the stage and shader (e.g. ``fragment shader 'blit' failed to
    compile``) followed by the driver's info log; ``stage``, ``name`` and ``log`` hold the parts.
    """

    def __init__(self, stage: str, name: str, action: str, log: str) -> None:
        self.stage, self.name, self.log = stage, name, log.strip()
        what = "program" if stage == "program" else f"{stage} shader"
        super().__init__(f"{what} {name!r} failed to {action}:\n{self.log or '(empty info log)'}")


def _text(raw: bytes | str | None) -> str:
    if raw is None:
        return ""
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw


def compile_shader(stage: str, source: str, name: str = "<inline>") -> int:
    """Compile ``source`` as a ``stage`` (``vertex``/``fragment``/``geometry``) shader; return its GL name."""
    from OpenGL import GL

    if stage not in STAGES:
        raise ValueError(f"unknown shader stage {stage!r}; expected one of {sorted(STAGES)}")
    shader = GL.glCreateShader(getattr(GL, STAGES[stage]))
    GL.glShaderSource(shader, source)
    GL.glCompileShader(shader)
    if not GL.glGetShaderiv(shader, GL.GL_COMPILE_STATUS):
        log = _text(GL.glGetShaderInfoLog(shader))
        GL.glDeleteShader(shader)
        raise ShaderError(stage, name, "compile", log)
    return int(shader)


def link_program(shaders: Sequence[int], name: str = "<inline>") -> int:
    """Link compiled ``shaders`` into a program and return its GL name; the shaders are left untouched."""
    from OpenGL import GL

    program = GL.glCreateProgram()
    for shader in shaders:
        GL.glAttachShader(program, shader)
    GL.glLinkProgram(program)
    for shader in shaders:
        GL.glDetachShader(program, shader)
    if not GL.glGetProgramiv(program, GL.GL_LINK_STATUS):
        log = _text(GL.glGetProgramInfoLog(program))
        GL.glDeleteProgram(program)
        raise ShaderError("program", name, "link", log)
    return int(program)


class Program:
    """A linked GLSL program built from per-stage sources, with cached uniform locations."""

    def __init__(self, sources: Mapping[str, str], name: str = "<inline>") -> None:
        """Compile each ``{stage: source}`` (names reported as ``name``) and link them."""
        from OpenGL import GL

        self.name = name
        shaders: list[int] = []
        try:
            for stage, source in sources.items():
                shaders.append(compile_shader(stage, source, name))
            self.handle = link_program(shaders, name)
        finally:
            for shader in shaders:
                GL.glDeleteShader(shader)
        self._locations: dict[str, int] = {}
        logger.debug("linked program %r (%d)", name, self.handle)

    def use(self) -> None:
        """Bind the program for drawing."""
        from OpenGL import GL

        GL.glUseProgram(self.handle)

    def location(self, uniform: str) -> int:
        """Location of ``uniform``; -1 if it does not exist or was optimised away."""
        if uniform not in self._locations:
            from OpenGL import GL

            self._locations[uniform] = int(GL.glGetUniformLocation(self.handle, uniform))
        return self._locations[uniform]

    def set_int(self, uniform: str, value: int) -> None:
        """Set an ``int``/``bool``/sampler uniform on the bound program."""
        from OpenGL import GL

        GL.glUniform1i(self.location(uniform), int(value))

    def set_float(self, uniform: str, *values: float) -> None:
        """Set a ``float``/``vec2``/``vec3``/``vec4`` uniform on the bound program from 1-4 values."""
        from OpenGL import GL

        setters = {1: GL.glUniform1f, 2: GL.glUniform2f, 3: GL.glUniform3f, 4: GL.glUniform4f}
        if len(values) not in setters:
            raise ValueError(f"set_float takes 1 to 4 values, got {len(values)}")
        setters[len(values)](self.location(uniform), *(float(v) for v in values))

    def set_mat4(self, uniform: str, matrix: np.ndarray) -> None:
        """Set a ``mat4`` uniform from a numpy 4x4 (column-vector convention; transposed for GL here)."""
        from OpenGL import GL

        m = np.ascontiguousarray(np.asarray(matrix, dtype=np.float32).reshape(4, 4))
        GL.glUniformMatrix4fv(self.location(uniform), 1, GL.GL_TRUE, m)

    def delete(self) -> None:
        """Delete the GL program; safe to call twice."""
        if self.handle:
            from OpenGL import GL

            GL.glDeleteProgram(self.handle)
            self.handle = 0
