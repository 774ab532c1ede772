"""The wall output transform on the GPU: GLSL, its compile-time variants and uniforms, and 3D LUT textures.

Order of operations (docs/color.md)::

    scene-linear Rec.709 × gain (2^EV × brightness)
      → colour matrix  = gamut conversion (Rec.709 → wall gamut) · white balance (in Rec.709)
      → hue-preserving highlight clip (at 1.0, or the wall's peak for PQ: stage/core/color/highlights.py)
      → transfer encode (linear / sRGB / BT.1886 / PQ with 1.0 = 100 nits, clipped at the wall's peak)
      → 3D LUT (in the encoded signal), clipped to [0, 1]

The transfer function, whether the matrix is the identity and the LUT interpolation are compiled in as
``#define``s (:meth:`OutputTransform.defines`), like the wall pass's other variants. Both LUT interpolations fetch
the lattice with ``texelFetch`` and interpolate in 32-bit float: hardware trilinear filtering uses fixed-point
weights (8 fractional bits on common GPUs), too coarse for 16-bit PQ output. The numpy references are
:func:`stage.core.color.cube_lut.apply_trilinear` / :func:`~stage.core.color.cube_lut.apply_tetrahedral`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from renderer.gl.resources import kept_binding
from stage.core.color.bit_depth import HIGH_BIT_DEPTH_TRANSFERS
from stage.core.color.cube_lut import CubeLUT, load_cube
from stage.core.color.gamut import SCENE_GAMUT, conversion_matrix
from stage.core.color.ocio import (
    DisplayView,
    builtin_preview_processor,
    display_processor,
    is_high_bit_depth,
    look_processor,
    ocio_preview_processor,
    working_from_rec709,
)
from stage.core.color.ocio_gpu import LutTable, OcioShader, extract_shader
from stage.core.color.transfer import PQ_MAX_NITS, REFERENCE_WHITE_NITS, TRANSFERS
from stage.core.color.white_balance import NEUTRAL_K, white_balance_matrix
from stage.core.config.color import ColorManagement, WallColor

LUT_TEXTURE_UNIT = 3
PREVIEW_FUNCTION = "ocio_preview"
PREVIEW_PREFIX = "ocio_preview_"
OCIO_FIRST_TEXTURE_UNIT = 5
"""OCIO's tables are bound to consecutive units from here (the wall pass uses 0–4: its outer cache is unit 4)."""
LUT_MODES = {None: 0, "trilinear": 1, "tetrahedral": 2}

HIGHLIGHTS_GLSL = (Path(__file__).parent / "shaders" / "highlights.glsl").read_text(encoding="utf-8")
"""``clip_highlights(linear, limit)``: the hue-preserving clip (:func:`stage.core.color.highlights.clip_highlights`)."""

OUTPUT_TRANSFORM_GLSL = HIGHLIGHTS_GLSL + """
// ---- output transform (renderer/gl/color_pass.py) ----
#ifndef TRANSFER
#define TRANSFER 1
#endif
#ifndef COLOR_MATRIX
#define COLOR_MATRIX 0
#endif
#ifndef LUT_MODE
#define LUT_MODE 0
#endif
uniform mat3 color_matrix;      // scene Rec.709 → white-balanced linear light in the wall's gamut
uniform float pq_scale;         // (nits of scene-linear 1.0) / 10000
uniform float pq_peak;          // (wall peak nits) / 10000
uniform sampler3D lut_tex;      // RGB32F, texel (x, y, z) = lattice point (r, g, b)
uniform int lut_size;
uniform vec3 lut_domain_min;
uniform vec3 lut_domain_scale;  // 1 / (DOMAIN_MAX - DOMAIN_MIN)

vec3 encode_transfer(vec3 linear) {
#if TRANSFER == 3
    vec3 y = clamp(clip_highlights(linear, pq_peak / pq_scale) * pq_scale, 0.0, pq_peak);
    vec3 ym = pow(y, vec3(0.1593017578125));                        // m1 = 2610 / 16384
    return pow((0.8359375 + 18.8515625 * ym) / (1.0 + 18.6875 * ym),  // c1, c2, c3
               vec3(78.84375));                                      // m2 = 2523 / 4096 * 128
#else
    vec3 c = clamp(clip_highlights(linear, 1.0), 0.0, 1.0);
#if TRANSFER == 1
    return mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(vec3(0.0031308), c));
#elif TRANSFER == 2
    return pow(c, vec3(1.0 / 2.4));
#else
    return c;
#endif
#endif
}

#if LUT_MODE > 0
vec3 lut_at(ivec3 base, int dr, int dg, int db) {
    return texelFetch(lut_tex, base + ivec3(dr, dg, db), 0).rgb;
}

vec3 apply_lut(vec3 v) {
    vec3 pos = clamp((v - lut_domain_min) * lut_domain_scale, 0.0, 1.0) * float(lut_size - 1);
    ivec3 base = min(ivec3(floor(pos)), ivec3(lut_size - 2));
    vec3 f = pos - vec3(base);
    vec3 c000 = lut_at(base, 0, 0, 0);
    vec3 c111 = lut_at(base, 1, 1, 1);
#if LUT_MODE == 1
    vec3 c00 = mix(c000, lut_at(base, 1, 0, 0), f.r);
    vec3 c10 = mix(lut_at(base, 0, 1, 0), lut_at(base, 1, 1, 0), f.r);
    vec3 c01 = mix(lut_at(base, 0, 0, 1), lut_at(base, 1, 0, 1), f.r);
    vec3 c11 = mix(lut_at(base, 0, 1, 1), c111, f.r);
    return mix(mix(c00, c10, f.g), mix(c01, c11, f.g), f.b);
#else
    if (f.r > f.g) {
        if (f.g > f.b)
            return (1.0 - f.r) * c000 + (f.r - f.g) * lut_at(base, 1, 0, 0) + (f.g - f.b) * lut_at(base, 1, 1, 0)
                   + f.b * c111;
        if (f.r > f.b)
            return (1.0 - f.r) * c000 + (f.r - f.b) * lut_at(base, 1, 0, 0) + (f.b - f.g) * lut_at(base, 1, 0, 1)
                   + f.g * c111;
        return (1.0 - f.b) * c000 + (f.b - f.r) * lut_at(base, 0, 0, 1) + (f.r - f.g) * lut_at(base, 1, 0, 1)
               + f.g * c111;
    }
    if (f.b > f.g)
        return (1.0 - f.b) * c000 + (f.b - f.g) * lut_at(base, 0, 0, 1) + (f.g - f.r) * lut_at(base, 0, 1, 1)
               + f.r * c111;
    if (f.b > f.r)
        return (1.0 - f.g) * c000 + (f.g - f.b) * lut_at(base, 0, 1, 0) + (f.b - f.r) * lut_at(base, 0, 1, 1)
               + f.r * c111;
    return (1.0 - f.g) * c000 + (f.g - f.r) * lut_at(base, 0, 1, 0) + (f.r - f.b) * lut_at(base, 1, 1, 0)
           + f.b * c111;
#endif
}
#endif

// Scene-linear (exposure and brightness applied) → the signal written to the wall. With OCIO (OCIO_FUNCTION defined:
// the GLSL of OCIO's GPU processor is inserted before this text) the working space's white balance, then OCIO.
vec3 output_transform(vec3 linear) {
#if COLOR_MATRIX
    linear = color_matrix * linear;
#endif
#ifdef OCIO_FUNCTION
    return clamp(OCIO_FUNCTION(vec4(linear, 1.0)).rgb, 0.0, 1.0);
#endif
    vec3 encoded = encode_transfer(linear);
#if LUT_MODE > 0
    encoded = clamp(apply_lut(encoded), 0.0, 1.0);
#endif
    return encoded;
}
// ---- end of output transform ----
"""


@dataclass(frozen=True, eq=False)
class OutputTransform:
    """Everything the shader needs to encode one wall: resolved from its :class:`WallColor` and the live white
    balance by :func:`output_transform`."""

    transfer: str
    matrix: np.ndarray | None
    """3×3 colour matrix (gamut · white balance) on column vectors; ``None`` when it is the identity."""
    peak_nits: float
    lut: CubeLUT | None = None
    lut_path: str | None = None
    lut_interpolation: str = "tetrahedral"
    ocio: OcioShader | None = None
    """With an OCIO config: its GPU processor's GLSL and tables (the LUT is then inside it, ``lut`` is ``None``);
    ``matrix`` is the white balance in the working space."""
    ocio_hdr: bool = False
    """OCIO only: the display's signal needs more than 8 bits (PQ, HLG)."""
    preview: OcioShader | None = None
    """How previews show this wall's signal on an sRGB monitor (``None``: as it is, e.g. an sRGB wall)."""
    inner_looks: tuple[OcioShader | None, ...] = ()
    """OCIO only: per inner-frustum layer (camera, lowest priority first) the look applied to it, or ``None``."""

    @property
    def high_bit_depth(self) -> bool:
        """True when 8 bits would band (PQ, HLG): render into a float target, write a 16-bit PNG."""
        if self.ocio is not None:
            return self.ocio_hdr
        return self.transfer in HIGH_BIT_DEPTH_TRANSFERS

    def defines(self) -> str:
        """The GLSL inserted before :data:`OUTPUT_TRANSFORM_GLSL`: the ``#define`` lines selecting its variant and,
        with OCIO, the processor's generated function."""
        if self.ocio is not None:
            return (f"#define COLOR_MATRIX {int(self.matrix is not None)}\n#define OCIO_FUNCTION {self.ocio.function}\n"
                    f"// OCIO processor {self.ocio.cache_id}\n{self.ocio.glsl}\n{_inner_looks_glsl(self.inner_looks)}")
        mode = LUT_MODES[self.lut_interpolation if self.lut is not None else None]
        return (f"#define TRANSFER {TRANSFERS.index(self.transfer)}\n"
                f"#define COLOR_MATRIX {int(self.matrix is not None)}\n#define LUT_MODE {mode}\n")


def _inner_looks_glsl(looks: tuple[OcioShader | None, ...]) -> str:
    """``vec3 inner_look(int layer, vec3 c)`` dispatching to each camera's look (``#define INNER_LOOKS``)."""
    if not any(looks):
        return ""
    calls = "".join(f"    if (layer == {i}) return {look.function}(vec4(c, 1.0)).rgb;\n"
                    for i, look in enumerate(looks) if look is not None)
    functions = "".join(f"{look.glsl}\n" for look in looks if look is not None)
    return f"#define INNER_LOOKS 1\n{functions}vec3 inner_look(int layer, vec3 c) {{\n{calls}    return c;\n}}\n"


def output_matrix(gamut: str, white_balance_k: float = NEUTRAL_K, tint: float = 0.0) -> np.ndarray | None:
    """Gamut conversion (Rec.709 → ``gamut``) after white balance (in Rec.709), or ``None`` for the identity."""
    m = conversion_matrix(SCENE_GAMUT, gamut) @ white_balance_matrix(white_balance_k, tint)
    return None if np.array_equal(m, np.eye(3)) else m


def ocio_output_transform(color: WallColor, management: ColorManagement, selection: DisplayView,
                          white_balance_k: float = NEUTRAL_K, tint: float = 0.0,
                          inner_looks: tuple[str | None, ...] = ()) -> OutputTransform:
    """A wall's output transform through its OCIO display/view/look (``selection``, the live choice), with the
    calibration LUT (``color.lut``) as an OCIO ``FileTransform`` on the display signal; white balance is conjugated
    into the working space; ``inner_looks``: a look per inner-frustum layer (or ``None``).
    :class:`stage.core.color.ocio.OcioError` if a name is missing."""
    ref = management.ocio_config
    processor = display_processor(ref, management.working_space, selection, color.lut, color.lut_interpolation)
    wb = white_balance_matrix(white_balance_k, tint)
    to_working = working_from_rec709(ref, management.working_space)
    if to_working is not None:
        wb = to_working @ wb @ np.linalg.inv(to_working)
    matrix = None if np.allclose(wb, np.eye(3), atol=1e-12) else wb
    return OutputTransform(color.transfer, matrix, color.peak_nits, None, color.lut, color.lut_interpolation,
                           extract_shader(processor), is_high_bit_depth(ref, selection),
                           _preview_shader(ocio_preview_processor(ref, selection)),
                           tuple(None if look is None else extract_shader(
                               look_processor(ref, management.working_space, look), f"ocio_inner{i}",
                               f"ocio_inner{i}_") for i, look in enumerate(inner_looks)))


def _preview_shader(processor) -> OcioShader | None:
    if processor is None:
        return None
    return extract_shader(processor, PREVIEW_FUNCTION, PREVIEW_PREFIX)


def output_transform(color: WallColor, white_balance_k: float = NEUTRAL_K, tint: float = 0.0,
                     transfer: str | None = None, lut: CubeLUT | None = None) -> OutputTransform:
    """Resolve a wall's output transform. ``transfer`` overrides ``color.transfer``; ``lut`` is the parsed
    ``color.lut`` (the caller loads it, see :class:`LutCache`)."""
    transfer = transfer or color.transfer
    return OutputTransform(transfer, output_matrix(color.gamut, white_balance_k, tint), color.peak_nits, lut,
                           color.lut, color.lut_interpolation,
                           preview=_preview_shader(builtin_preview_processor(transfer, color.gamut)))


def preview_shader_source(base: str, preview: OcioShader | None) -> str:
    """``preview.frag`` (``base``) with a wall's preview transform compiled in after its ``#version`` line."""
    if preview is None:
        return base
    version, rest = base.split("\n", 1)
    return f"{version}\n#define PREVIEW_FUNCTION {preview.function}\n{preview.glsl}\n{rest}"


class LutTexture:
    """A :class:`CubeLUT` as a ``GL_TEXTURE_3D`` (RGB32F, nearest, clamped; read with ``texelFetch``)."""

    def __init__(self, lut: CubeLUT) -> None:
        from OpenGL import GL

        self.lut = lut
        self.handle = int(GL.glGenTextures(1))
        with kept_binding("GL_TEXTURE_3D"):
            GL.glBindTexture(GL.GL_TEXTURE_3D, self.handle)
            for name in ("GL_TEXTURE_MIN_FILTER", "GL_TEXTURE_MAG_FILTER"):
                GL.glTexParameteri(GL.GL_TEXTURE_3D, getattr(GL, name), GL.GL_NEAREST)
            for name in ("GL_TEXTURE_WRAP_S", "GL_TEXTURE_WRAP_T", "GL_TEXTURE_WRAP_R"):
                GL.glTexParameteri(GL.GL_TEXTURE_3D, getattr(GL, name), GL.GL_CLAMP_TO_EDGE)
            GL.glTexParameteri(GL.GL_TEXTURE_3D, GL.GL_TEXTURE_MAX_LEVEL, 0)
            GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
            n = lut.size  # table[b][g][r] in C order: r (x) fastest, then g (y), then b (z) — GL's texel order
            GL.glTexImage3D(GL.GL_TEXTURE_3D, 0, GL.GL_RGB32F, n, n, n, 0, GL.GL_RGB, GL.GL_FLOAT,
                            np.ascontiguousarray(lut.table, dtype=np.float32))

    def bind(self, unit: int = LUT_TEXTURE_UNIT) -> None:
        from OpenGL import GL

        GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
        GL.glBindTexture(GL.GL_TEXTURE_3D, self.handle)

    def delete(self) -> None:
        """Delete the GL texture; safe to call twice."""
        if self.handle:
            from OpenGL import GL

            GL.glDeleteTextures([self.handle])
            self.handle = 0


_TABLE_FORMATS = {1: ("GL_R32F", "GL_RED"), 3: ("GL_RGB32F", "GL_RGB")}


class OcioTextures:
    """The tables of one :class:`OcioShader` as GL textures (1D, 2D or 3D; float32; OCIO's filtering, clamped),
    bound to consecutive units from :data:`OCIO_FIRST_TEXTURE_UNIT` under the sampler names OCIO's GLSL reads."""

    def __init__(self, shader: OcioShader) -> None:
        self.shader = shader
        self.handles = [_upload_table(table) for table in shader.tables]

    def bind(self, program, first_unit: int = OCIO_FIRST_TEXTURE_UNIT) -> int:
        """Bind the tables from ``first_unit`` on and set the shader's uniforms; returns the next free unit."""
        from OpenGL import GL

        unit = first_unit
        for table, handle in zip(self.shader.tables, self.handles, strict=True):
            GL.glActiveTexture(GL.GL_TEXTURE0 + unit)
            GL.glBindTexture(_target(table), handle)
            program.set_int(table.sampler, unit)
            unit += 1
        for uniform in self.shader.uniforms:
            program.set_float(uniform.name, *uniform.values)
        return unit

    def delete(self) -> None:
        if self.handles:
            from OpenGL import GL

            GL.glDeleteTextures(self.handles)
            self.handles = []


_TARGETS = {1: "GL_TEXTURE_1D", 2: "GL_TEXTURE_2D", 3: "GL_TEXTURE_3D"}


def _target(table: LutTable) -> int:
    from OpenGL import GL

    return getattr(GL, _TARGETS[table.dimensions])


def _upload_table(table: LutTable) -> int:
    """Upload one OCIO table; the active unit keeps what it had bound (tables are uploaded the first time a wall
    shows a processor, in the middle of its draw)."""
    with kept_binding(_TARGETS[table.dimensions]):
        return _upload_bound_table(table)


def _upload_bound_table(table: LutTable) -> int:
    from OpenGL import GL

    target = _target(table)
    handle = int(GL.glGenTextures(1))
    GL.glBindTexture(target, handle)
    filt = GL.GL_LINEAR if table.linear else GL.GL_NEAREST
    GL.glTexParameteri(target, GL.GL_TEXTURE_MIN_FILTER, filt)
    GL.glTexParameteri(target, GL.GL_TEXTURE_MAG_FILTER, filt)
    for name in ("GL_TEXTURE_WRAP_S", "GL_TEXTURE_WRAP_T", "GL_TEXTURE_WRAP_R")[: max(table.dimensions, 1)]:
        GL.glTexParameteri(target, getattr(GL, name), GL.GL_CLAMP_TO_EDGE)
    GL.glTexParameteri(target, GL.GL_TEXTURE_MAX_LEVEL, 0)
    GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
    internal, fmt = (getattr(GL, name) for name in _TABLE_FORMATS[table.channels])
    values = np.ascontiguousarray(table.values, dtype=np.float32)
    if table.dimensions == 1:
        GL.glTexImage1D(target, 0, internal, table.size[0], 0, fmt, GL.GL_FLOAT, values)
    elif table.dimensions == 2:
        GL.glTexImage2D(target, 0, internal, *table.size, 0, fmt, GL.GL_FLOAT, values)
    else:
        GL.glTexImage3D(target, 0, internal, *table.size, 0, fmt, GL.GL_FLOAT, values)
    return handle


class LutCache:
    """Parsed LUTs and their textures by file path (one GL context). A path is loaded once; a bad file raises
    :class:`stage.core.color.cube_lut.LUTError` (``file:line: reason``)."""

    def __init__(self) -> None:
        self._luts: dict[str, CubeLUT] = {}
        self._textures: dict[int, LutTexture] = {}
        self._ocio: dict[str, OcioTextures] = {}

    def lut(self, path: str | None) -> CubeLUT | None:
        """The parsed LUT at ``path`` (relative paths: against the working directory), or ``None``."""
        if path is None:
            return None
        key = str(Path(path).resolve())
        if key not in self._luts:
            self._luts[key] = load_cube(key)
        return self._luts[key]

    def texture(self, lut: CubeLUT) -> LutTexture:
        texture = self._textures.get(id(lut))
        if texture is None or texture.lut is not lut:
            texture = self._textures[id(lut)] = LutTexture(lut)
        return texture

    def ocio_textures(self, shader: OcioShader) -> OcioTextures:
        """The uploaded tables of an OCIO processor (by OCIO's cache id: one upload per distinct processor)."""
        textures = self._ocio.get(shader.cache_id)
        if textures is None:
            textures = self._ocio[shader.cache_id] = OcioTextures(shader)
        return textures

    def delete(self) -> None:
        for texture in [*self._textures.values(), *self._ocio.values()]:
            texture.delete()
        self._textures.clear()
        self._ocio.clear()
        self._luts.clear()


def set_output_uniforms(program, transform: OutputTransform, cache: LutCache) -> None:
    """Set the output-transform uniforms of the bound ``program`` and bind the LUT texture (unit
    :data:`LUT_TEXTURE_UNIT`)."""
    from OpenGL import GL

    if transform.matrix is not None:
        m = np.ascontiguousarray(np.asarray(transform.matrix, dtype=np.float32))
        GL.glUniformMatrix3fv(program.location("color_matrix"), 1, GL.GL_TRUE, m)
    if transform.ocio is not None:
        unit = cache.ocio_textures(transform.ocio).bind(program)
        for look in transform.inner_looks:
            if look is not None:
                unit = cache.ocio_textures(look).bind(program, unit)
        return
    if transform.transfer == "pq":
        program.set_float("pq_scale", REFERENCE_WHITE_NITS / PQ_MAX_NITS)
        program.set_float("pq_peak", min(transform.peak_nits, PQ_MAX_NITS) / PQ_MAX_NITS)
    lut = transform.lut
    if lut is not None:
        cache.texture(lut).bind(LUT_TEXTURE_UNIT)
        program.set_int("lut_tex", LUT_TEXTURE_UNIT)
        program.set_int("lut_size", lut.size)
        lo, hi = np.asarray(lut.domain_min), np.asarray(lut.domain_max)
        program.set_float("lut_domain_min", *lo)
        program.set_float("lut_domain_scale", *(1.0 / (hi - lo)))
