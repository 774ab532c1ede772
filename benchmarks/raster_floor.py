"""Raster floor: the cost of one textured full-screen pass at 1920x1080 into an RGBA8 framebuffer.

Each iteration draws the fullscreen triangle sampling a 1920x1080 RGBA8 texture and calls ``glFinish``;
after ``--warmup`` iterations it times ``--runs`` of them and prints one JSON object on stdout: the GL renderer
and version strings, the median and p10/p90 milliseconds. The texture is random RGBA8 sampled bilinearly.
Mesa 22.3 llvmpipe on a 2-core Xeon measured ~5.1 ms median (nearest sampling ~3.7 ms, an untextured
constant-colour pass ~1.5 ms, a bare clear ~0.4 ms); the numbers move a lot when other work shares the cores.

    python -m benchmarks.raster_floor --runs 200
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

import numpy as np

from renderer.gl import GLError, create_context

logger = logging.getLogger(__name__)

SAMPLE_FRAGMENT_SHADER = """#version 330 core
in vec2 v_uv;
uniform sampler2D u_image;
out vec4 frag_color;
void main() { frag_color = texture(u_image, v_uv); }
"""


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def measure(width: int, height: int, runs: int, warmup: int) -> dict[str, object]:
    """Run the benchmark on a fresh headless context and return the JSON-ready result."""
    with create_context("headless") as context:
        from OpenGL import GL

        from renderer.gl.program import Program
        from renderer.gl.resources import FULLSCREEN_VERTEX_SHADER, Framebuffer, FullscreenTriangle, Texture

        info = context.info()
        rng = np.random.default_rng(0)
        image = rng.integers(0, 256, size=(height, width, 4), dtype=np.uint8)
        texture = Texture.from_array(image, linear=True)
        target = Framebuffer(width, height, "rgba8", depth=False)
        program = Program({"vertex": FULLSCREEN_VERTEX_SHADER, "fragment": SAMPLE_FRAGMENT_SHADER}, "raster_floor")
        triangle = FullscreenTriangle()
        target.bind()
        program.use()
        texture.bind(0)
        program.set_int("u_image", 0)
        timings_ms: list[float] = []
        for index in range(warmup + runs):
            start = time.perf_counter()
            triangle.draw()
            GL.glFinish()
            if index >= warmup:
                timings_ms.append((time.perf_counter() - start) * 1000.0)
        for resource in (triangle, program, target, texture):
            resource.delete()
    samples = np.asarray(timings_ms)
    return {
        "benchmark": "raster_floor",
        "renderer": info.renderer,
        "version": info.version,
        "size": [width, height],
        "runs": runs,
        "ms_median": round(float(np.median(samples)), 4),
        "ms_p10": round(float(np.percentile(samples, 10)), 4),
        "ms_p90": round(float(np.percentile(samples, 90)), 4),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run :func:`measure`, print its JSON; exit code 2 when no GL context can be made."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=_positive_int, default=100, help="timed iterations (default 100)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed iterations first (default 10)")
    parser.add_argument("--width", type=_positive_int, default=1920)
    parser.add_argument("--height", type=_positive_int, default=1080)
    args = parser.parse_args(argv)
    try:
        result = measure(args.width, args.height, args.runs, max(0, args.warmup))
    except GLError as exc:
        sys.stderr.write(f"raster_floor: {exc}\n")
        return 2
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
