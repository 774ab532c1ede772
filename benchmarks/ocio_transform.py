"""An output transform on its own: what it costs per pixel on the GPU, and what baking it into a 3D LUT would lose.

The wall-pass benchmark (``benchmarks.ocio_wall_pass``) measures whole walls; this one isolates the transform, so
the per-pixel price of OCIO's ACES 2.0 output transforms can be read without the wall pass around it.

**Cost.** One full-screen pass over ``--size`` scene-linear test colours (an RGBA32F texture read with
``texelFetch``) through each output transform alone — the same GLSL the wall pass compiles
(:class:`renderer.gl.color_pass.OutputTransform`) — into an RGBA32F target, ``glFinish`` per draw, cases
round-robin. Reported per case: nanoseconds per pixel (median, p10, p90), the ratio to the built-in transform of
the same bit depth, and, for OCIO cases, the largest difference from OCIO's CPU processor in 10-bit codes.

**Baking** (``--bake-edges``): each OCIO case's CPU processor sampled on a log2 shaper lattice of EDGE³ points
(scene-linear 0 … 1024, ACES's clamp) and read back with tetrahedral interpolation
(:func:`stage.core.color.cube_lut.apply_tetrahedral`, what the GPU's LUT path computes), against the processor
itself on the same test colours: the largest error, its 99th percentile and the fraction of colours more than one
10-bit code off. This is what an "approximate" ACES 2.0 mode would cost in accuracy.

The test colours are reproducible (seeded): random chromaticities, saturated to grey, at exposures from 2^-8 to
2^3 — dark to specular highlights, the range a scene on an LED wall spans.

    python -m benchmarks.ocio_transform [--runs 20] [--size 1024x512] [--bake-edges 33 65 129]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from benchmarks.ocio_wall_pass import STUDIO, _positive_int, _size
from renderer.gl import create_context

CASES: dict[str, tuple[str | None, dict, str]] = {
    # name: (OCIO config or None, WallColor fields or DisplayView fields, baseline case)
    "builtin-srgb": (None, {}, "builtin-srgb"),
    "builtin-pq-rec2020": (None, {"transfer": "pq", "gamut": "rec2020"}, "builtin-pq-rec2020"),
    "ocio-srgb-untonemapped": (STUDIO, {"display": "sRGB - Display", "view": "Un-tone-mapped"}, "builtin-srgb"),
    "ocio-srgb-aces2": (STUDIO, {"display": "sRGB - Display"}, "builtin-srgb"),
    "ocio-rec1886-aces2": (STUDIO, {"display": "Rec.1886 Rec.709 - Display"}, "builtin-srgb"),
    "ocio-rec2100-pq-aces2": (STUDIO, {"display": "Rec.2100-PQ - Display"}, "builtin-pq-rec2020"),
}
WORKING_SPACE = "ACEScg"
SHAPER_LOG2_MIN, SHAPER_LOG2_MAX = -12.0, 10.0
"""The bake's shaper: ``log2(x + 2^-12)`` from -12 to 10 onto the lattice (0 … 1024 scene-linear)."""
CODES_10_BIT = 1023.0

VERTEX = """#version 400 core
void main() {
    vec2 p = vec2((gl_VertexID << 1) & 2, gl_VertexID & 2);
    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
"""
FRAGMENT = """#version 400 core
uniform sampler2D colors;
out vec4 frag_color;
{transform}
void main() {{
    frag_color = vec4(output_transform(texelFetch(colors, ivec2(gl_FragCoord.xy), 0).rgb), 1.0);
}}
"""


def test_colors(count: int, seed: int = 14) -> np.ndarray:
    """``count`` scene-linear RGB colours (float32): random chromaticities at exposures 2^-8 … 2^3."""
    rng = np.random.default_rng(seed)
    rgb = rng.random((count, 3))
    rgb /= rgb.max(axis=1, keepdims=True)
    return (rgb * np.exp2(rng.uniform(-8.0, 3.0, (count, 1)))).astype(np.float32)


def _transform(config: str | None, fields: dict):
    from renderer.gl.color_pass import ocio_output_transform, output_transform
    from stage.core.color.ocio import DisplayView
    from stage.core.config.color import ColorManagement, WallColor

    if config is None:
        return output_transform(WallColor(**fields))
    management = ColorManagement(ocio_config=config, working_space=WORKING_SPACE)
    return ocio_output_transform(WallColor(), management, DisplayView(**fields))


def _cpu_reference(config: str, fields: dict, colors: np.ndarray) -> np.ndarray:
    from stage.core.color.ocio import DisplayView, display_processor

    out = np.ascontiguousarray(colors, dtype=np.float32).copy()
    display_processor(config, WORKING_SPACE, DisplayView(**fields)).getDefaultCPUProcessor().applyRGB(out)
    return np.clip(out, 0.0, 1.0)  # the wall pass clamps OCIO's output to the signal range


def measure_cost(size: tuple[int, int], runs: int, warmup: int) -> dict[str, dict]:
    width, height = size
    colors = test_colors(width * height)
    timings: dict[str, list[float]] = {name: [] for name in CASES}
    outputs: dict[str, np.ndarray] = {}
    with create_context("headless"):
        from OpenGL import GL

        from renderer.gl.color_pass import OUTPUT_TRANSFORM_GLSL, LutCache, set_output_uniforms
        from renderer.gl.program import Program
        from renderer.gl.resources import Framebuffer, FullscreenTriangle, Texture

        image = np.concatenate([colors, np.ones((len(colors), 1), np.float32)], axis=1).reshape(height, width, 4)
        source = Texture.from_array(image, "rgba32f")
        target = Framebuffer(width, height, "rgba32f", depth=False)
        triangle, cache = FullscreenTriangle(), LutCache()
        transforms = {name: _transform(config, fields) for name, (config, fields, _) in CASES.items()}
        programs = {name: Program({"vertex": VERTEX, "fragment": FRAGMENT.format(
            transform=t.defines() + OUTPUT_TRANSFORM_GLSL)}, f"transform {name}") for name, t in transforms.items()}
        target.bind()
        for index in range(warmup + runs):
            for name, program in programs.items():
                program.use()
                source.bind(0)
                program.set_int("colors", 0)
                set_output_uniforms(program, transforms[name], cache)
                start = time.perf_counter()
                triangle.draw()
                GL.glFinish()
                if index >= warmup:
                    timings[name].append((time.perf_counter() - start) * 1e9 / (width * height))
                if index == 0:
                    outputs[name] = target.read()
        for obj in (*programs.values(), source, target, triangle, cache):
            obj.delete()
    medians = {name: float(np.median(t)) for name, t in timings.items()}
    result = {}
    for name, (config, fields, baseline) in CASES.items():
        samples = np.asarray(timings[name])
        entry = {"ns_per_px_median": round(medians[name], 2),
                 "ns_per_px_p10": round(float(np.percentile(samples, 10)), 2),
                 "ns_per_px_p90": round(float(np.percentile(samples, 90)), 2),
                 "baseline": baseline, "ratio": round(medians[name] / medians[baseline], 2)}
        if config is not None:
            gpu = outputs[name][:, :, :3].reshape(-1, 3)  # upload and read both flip rows: image order
            cpu = _cpu_reference(config, fields, colors)
            entry["max_codes_from_cpu"] = round(float(np.abs(gpu - cpu).max() * CODES_10_BIT), 3)
        result[name] = entry
    return result


def shaper(linear: np.ndarray) -> np.ndarray:
    """Scene-linear → lattice coordinate in [0, 1] (log2, clamped)."""
    x = np.log2(np.maximum(linear, 0.0) + 2.0 ** SHAPER_LOG2_MIN)
    return np.clip((x - SHAPER_LOG2_MIN) / (SHAPER_LOG2_MAX - SHAPER_LOG2_MIN), 0.0, 1.0)


def bake(config: str, fields: dict, edge: int):
    """The OCIO case as a shaper + ``edge``³ LUT sampled from its CPU processor."""
    from stage.core.color.cube_lut import CubeLUT

    axis = np.linspace(0.0, 1.0, edge)
    b, g, r = np.meshgrid(axis, axis, axis, indexing="ij")  # CubeLUT tables are indexed [b][g][r]
    lattice = np.stack([r, g, b], axis=-1)
    linear = np.exp2(SHAPER_LOG2_MIN + lattice * (SHAPER_LOG2_MAX - SHAPER_LOG2_MIN)) - 2.0 ** SHAPER_LOG2_MIN
    table = _cpu_reference(config, fields, linear.reshape(-1, 3)).reshape(edge, edge, edge, 3)
    return CubeLUT(edge, table)


def measure_bake(edges: list[int], count: int) -> dict[str, dict]:
    from stage.core.color.cube_lut import apply_tetrahedral

    colors = test_colors(count)
    result: dict[str, dict] = {}
    for name, (config, fields, _) in CASES.items():
        if config is None:
            continue
        exact = _cpu_reference(config, fields, colors)
        for edge in edges:
            error = np.abs(apply_tetrahedral(bake(config, fields, edge), shaper(colors)) - exact).max(axis=1)
            codes = error * CODES_10_BIT
            result.setdefault(name, {})[str(edge)] = {
                "max_codes": round(float(codes.max()), 2), "p99_codes": round(float(np.percentile(codes, 99)), 2),
                "over_one_code": round(float((codes > 1.0).mean()), 4)}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=_size, default=(1024, 512), help="test colours as an image, WxH")
    parser.add_argument("--runs", type=_positive_int, default=20)
    parser.add_argument("--warmup", type=_positive_int, default=3)
    parser.add_argument("--bake-edges", type=_positive_int, nargs="*", default=[33, 65, 129],
                        help="LUT sizes whose accuracy to measure (none: skip)")
    parser.add_argument("--bake-colors", type=_positive_int, default=200_000)
    args = parser.parse_args(argv)
    doc = {"benchmark": "ocio_transform", "size_px": list(args.size), "runs": args.runs,
           "cost": measure_cost(args.size, args.runs, args.warmup)}
    if args.bake_edges:
        doc["bake"] = measure_bake(args.bake_edges, args.bake_colors)
    print(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
