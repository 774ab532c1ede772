"""An OCIO processor as GLSL and LUT tables, ready for the renderer to compile and upload (no GL here).

OCIO's GPU processor writes the shader function and lists the textures and uniforms it needs through a
``GpuShaderDesc`` (``OpenColorIO`` ``include/OpenColorIO/OpenColorIO.h``: ``GpuShaderCreator::getTexture``,
``get3DTexture``, ``getUniform``; the upload rules follow its own OpenGL helper, ``src/libutils/oglapphelpers/
glsl.cpp``): 1D tables are ``width × height`` (``height`` 1 for a ``sampler1D``, more for a ``sampler2D``-packed
table), one (``RED``) or three (``RGB``) float channels, nearest or linear filtering; 3D tables are ``edge³`` RGB
with red fastest. We ask for GLSL 4.0 (``GPU_LANGUAGE_GLSL_4_0``: ``texture()`` calls, no ``#version`` line), which
compiles unchanged inside our ``#version 330 core`` wall shader.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FUNCTION_NAME = "ocio_display"
RESOURCE_PREFIX = "ocio_"


@dataclass(frozen=True, eq=False)
class LutTable:
    """One OCIO table: ``sampler`` is the GLSL sampler name the generated code reads."""

    sampler: str
    dimensions: int
    """1 (``sampler1D``), 2 (``sampler2D``, a long 1D table folded into rows) or 3 (``sampler3D``)."""
    size: tuple[int, ...]
    """``(width,)``, ``(width, height)`` or ``(edge, edge, edge)``."""
    channels: int
    """1 (red) or 3 (RGB)."""
    linear: bool
    """Linear filtering (else nearest)."""
    values: np.ndarray
    """float32, C order: rows of ``width`` texels (3D: red fastest)."""


@dataclass(frozen=True, eq=False)
class UniformValue:
    name: str
    values: tuple[float, ...]
    """1 value (float/int/bool) or 3 (vec3); OCIO's dynamic properties are fixed at extraction."""


@dataclass(frozen=True, eq=False)
class OcioShader:
    """The GLSL of one OCIO processor and the resources it reads."""

    glsl: str
    function: str
    tables: tuple[LutTable, ...]
    uniforms: tuple[UniformValue, ...]
    cache_id: str
    """OCIO's identifier of the processor: equal ids, equal shaders."""


def extract_shader(processor, function: str = FUNCTION_NAME, prefix: str = RESOURCE_PREFIX) -> OcioShader:
    """Generate the GLSL of ``processor`` (a ``PyOpenColorIO.Processor``) and read out its tables and uniforms."""
    import PyOpenColorIO as ocio

    gpu = processor.getDefaultGPUProcessor()
    desc = ocio.GpuShaderDesc.CreateShaderDesc(language=ocio.GPU_LANGUAGE_GLSL_4_0, functionName=function,
                                               resourcePrefix=prefix)
    gpu.extractGpuShaderInfo(desc)
    tables: list[LutTable] = []
    for texture in desc.getTextures():
        channels = 3 if texture.channel == ocio.GpuShaderDesc.TEXTURE_RGB_CHANNEL else 1
        dims = 1 if texture.dimensions == ocio.GpuShaderDesc.TEXTURE_1D else 2
        size = (texture.width,) if dims == 1 else (texture.width, texture.height)
        values = np.ascontiguousarray(texture.getValues(), dtype=np.float32)
        tables.append(LutTable(texture.samplerName, dims, size, channels,
                               texture.interpolation != ocio.INTERP_NEAREST, values))
    for texture in desc.get3DTextures():
        values = np.ascontiguousarray(texture.getValues(), dtype=np.float32)
        edge = texture.edgeLen
        tables.append(LutTable(texture.samplerName, 3, (edge, edge, edge), 3,
                               texture.interpolation != ocio.INTERP_NEAREST, values))
    uniforms = tuple(_uniform(name, data) for name, data in desc.getUniforms())
    return OcioShader(desc.getShaderText(), function, tuple(tables), uniforms, processor.getCacheID())


def _uniform(name: str, data) -> UniformValue:
    import PyOpenColorIO as ocio

    kind = data.type
    if kind == ocio.UNIFORM_DOUBLE:
        return UniformValue(name, (float(data.getDouble()),))
    if kind == ocio.UNIFORM_BOOL:
        return UniformValue(name, (float(data.getBool()),))
    if kind == ocio.UNIFORM_FLOAT3:
        return UniformValue(name, tuple(float(v) for v in data.getFloat3()))
    raise ValueError(f"OCIO uniform {name!r} of type {kind} is not supported")
