"""Outer-frustum cube map cost, headless: six face renders of the scene pass plus the mip chain, what a node pays
each time the cube is re-rendered (every frame only while the scene is animated; otherwise on scene, placement or
time-of-day changes).

Prints one JSON object on stdout (not a test; numbers move when other work shares the cores): per case the stage,
scene, ``resolution_scale``, face size, and the time of one :meth:`StageRenderer.render_outer` with ``glFinish``
(median, p10/p90 over ``--runs`` after warm-up), with ms per million face pixels. The calibration scene is the
ground-grid case of issue 13 (1 m grid of 3 cm lines): its ground shader's line coverage is what the grid's
anti-aliasing costs.

With ``--baseline-shaders DIR`` (a copy of ``renderer/gl/shaders`` from another commit) every case is also drawn by
a second renderer whose scene programs are compiled from DIR, alternating with the current one run by run, and
reports ``baseline_ms_median`` and ``ratio`` (current / baseline, same run):

    python -m benchmarks.outer_cube --runs 40
    mkdir -p /tmp/shaders-main && git archive main renderer/gl/shaders | tar -x -C /tmp/shaders-main
    python -m benchmarks.outer_cube --runs 40 --baseline-shaders /tmp/shaders-main/renderer/gl/shaders
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np

from stage.core.config.loader import load_scene_config, load_stage_config

REPO = Path(__file__).resolve().parent.parent
CASES = (
    ("configs/demo.yaml", "scenes/calibration.yaml", 0.25),
    ("configs/demo.yaml", "scenes/calibration.yaml", 0.5),
    ("configs/demo.yaml", "scenes/demo.yaml", 0.25),
    ("configs/volume-curved.yaml", "scenes/calibration.yaml", 0.25),
)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _renderer(scene, face_px: int, shader_dir: Path | None):
    """A renderer with only the cube (no wall surfaces); scene programs compiled from ``shader_dir`` if given."""
    from renderer.gl import scene_pass
    from renderer.gl.stage_renderer import StageRenderer

    with mock.patch.object(scene_pass, "SHADER_DIR", shader_dir or scene_pass.SHADER_DIR):
        return StageRenderer(scene, [], (64, 36), 1, face_px)


def cube_times(config_rel: str, scene_rel: str, scale: float, runs: int, warmup: int,
               baseline_shaders: Path | None = None) -> dict:
    """Times of re-rendering the outer cube of ``config_rel`` with ``scene_rel`` at ``scale`` (and with the
    baseline shaders, alternating)."""
    from OpenGL import GL

    from renderer.gl.stage_renderer import outer_face_size

    config = load_stage_config(REPO / config_rel)
    scene = load_scene_config(REPO / scene_rel)
    face_px = outer_face_size(list(config.walls), scale)
    renderers = {"current": _renderer(scene, face_px, None)}
    if baseline_shaders is not None:
        renderers["baseline"] = _renderer(scene, face_px, baseline_shaders)
    samples: dict[str, list[float]] = {name: [] for name in renderers}
    try:
        for i in range(warmup + runs):
            order = list(renderers.items())
            for name, renderer in order if i % 2 else order[::-1]:
                renderer._outer_key = None  # noqa: SLF001 - force the re-render a static scene would skip
                t0 = time.perf_counter()
                renderer.render_outer(config.render.outer.viewpoint_m)
                GL.glFinish()
                if i >= warmup:
                    samples[name].append((time.perf_counter() - t0) * 1e3)
    finally:
        for renderer in renderers.values():
            renderer.delete()
    a = np.asarray(samples["current"])
    median = float(np.median(a))
    result = {"config": config_rel, "scene": scene_rel, "resolution_scale": scale, "face_px": face_px,
              "ms_median": round(median, 3), "ms_p10": round(float(np.percentile(a, 10)), 3),
              "ms_p90": round(float(np.percentile(a, 90)), 3),
              "ms_per_mpx": round(median / (6 * face_px * face_px / 1e6), 3)}
    if "baseline" in samples:
        base = float(np.median(samples["baseline"]))
        result.update(baseline_ms_median=round(base, 3), ratio=round(median / base, 3))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.outer_cube", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=_positive_int, default=40, help="timed re-renders per case (default 40)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed re-renders first (default 3)")
    parser.add_argument("--baseline-shaders", type=Path, metavar="DIR",
                        help="also time scene programs compiled from DIR (e.g. main's renderer/gl/shaders)")
    args = parser.parse_args(argv)
    if args.baseline_shaders is not None and not (args.baseline_shaders / "scene_background.frag.glsl").is_file():
        parser.error(f"--baseline-shaders: {args.baseline_shaders}: no scene_background.frag.glsl there")
    from renderer.gl import GLError, create_context

    try:
        context = create_context("headless")
    except GLError as exc:
        print(f"outer_cube: {exc}", file=sys.stderr)
        return 2
    try:
        context.make_current()
        cases = [cube_times(c, s, scale, args.runs, args.warmup, args.baseline_shaders) for c, s, scale in CASES]
        from OpenGL import GL

        renderer = GL.glGetString(GL.GL_RENDERER).decode()
    finally:
        context.close()
    print(json.dumps({"runs": args.runs, "renderer": renderer, "cases": cases}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
