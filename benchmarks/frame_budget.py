"""Frame budget: what ICVFX costs over a plain render of the same scene, and the wall pass over a one-fetch pass.

Headless EGL (llvmpipe here), one GL context per stage, cases drawn round-robin (one draw of each case per round,
``glFinish`` after each, timed from the call to the end of ``glFinish``), medians with p10/p90 over ``--runs``
rounds after ``--warmup``. Every ratio is of medians measured in the same run:

* ``frame`` / ``plain``: a full ICVFX frame of one node (:class:`renderer.node_outputs.NodeRenderer.draw`: inner
  frustum, outer cube map when it changed, every wall pass) against the same scene rendered once from the same
  camera (lens FOV, no overscan: :meth:`renderer.gl.stage_renderer.StageRenderer.draw_camera`, the scene pass plus
  the output encode) into one target with the camera's aspect and the same pixel count as the node's walls.
  Target < 1.5.
* ``walls`` / ``one_fetch``: the wall passes alone (every output cleared, every wall drawn; inner and outer already
  rendered) against a pass over the same wall viewports that fetches one texel per pixel (the wall's position map,
  ``texelFetch``) and writes it. Target < 2.
* ``frame_full_inner``: the same frame with the inner frustum rendered over the whole image (``scissor_inner``
  off: the renderer before the scissor), so the gain of rendering only the part the node's walls show
  (``inner_rect_px``, the last frame's rectangle) is measured in the same run.
* ``frame_uncached`` / ``walls_uncached``: the frame and the wall passes with the walls' outer caches off
  (:attr:`renderer.gl.wall_pass.WallCompositor.cache_outer`: every wall pixel through the full pass, what ``main``
  did for built-in walls before they were cached), so the caches' gain is measured in the same run.
* ``inner``: the inner-frustum render alone (:meth:`~renderer.gl.stage_renderer.StageRenderer.render_inner`), to
  show where the frame goes.

Stages: ``demo`` (``configs/demo.yaml``, its one node owning its three walls), ``curved_1/8``
(``tests/data/curved-small.yaml``, the curved volume at 1/8 resolution, every wall moved onto one node) and
``curved_1/8_n2`` (the same volume as configured, one node per wall: node ``n2``, which shows the wall left of
centre); all with ``scenes/demo.yaml`` and one camera (Super 35, 24 mm, at 1.6 m looking at the main wall, moved by
1 cm a frame so that nothing can be cached between frames).

    python -m benchmarks.frame_budget --runs 60
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from benchmarks.render_frame import CAMERA, REPO, SCENE, stats
from renderer.gl import GLError
from renderer.views import CameraState, camera_view
from stage.core.config.loader import load_scene_config, load_stage_config
from stage.core.config.stage import StageConfig
from stage.core.config.wall_geometry import wall_resolution_px
from stage.core.live import LiveState

log = logging.getLogger(__name__)
TARGETS = {"frame_over_plain": 1.5, "walls_over_one_fetch": 2.0}
ONE_FETCH_FRAGMENT_SHADER = """#version 330 core
uniform sampler2D position_map;
uniform ivec2 viewport_origin;
out vec4 frag_color;
void main() { frag_color = vec4(texelFetch(position_map, ivec2(gl_FragCoord.xy) - viewport_origin, 0).xyz, 1.0); }
"""


def one_node(config: StageConfig, scene: Path = SCENE) -> StageConfig:
    """The config with every wall on one node ``bench``, one output per original output (same size, offsets)."""
    data = config.model_dump(mode="json")
    outputs, firsts = [], {}
    for node in data["nodes"]:
        firsts[node["name"]] = node["outputs"][0]["name"]
        for out in node["outputs"]:
            outputs.append({**out, "name": f"{node['name']}-{out['name']}"})
    for wall in data["walls"]:
        o = wall["output"]
        o["output"] = f"{o['node']}-{o['output'] or firsts[o['node']]}"
        o["node"] = "bench"
    data["nodes"] = [{"name": "bench", "outputs": outputs}]
    data["scene"] = str(scene)
    return StageConfig.model_validate(data)


def with_scene(config: StageConfig, scene: Path = SCENE) -> StageConfig:
    return StageConfig.model_validate({**config.model_dump(mode="json"), "scene": str(scene)})


def node_wall_pixels(config: StageConfig, node: str) -> int:
    return sum(w * h for w, h in (wall_resolution_px(wall) for wall in config.walls if wall.output.node == node))


def plain_size_px(pixels: int, sensor_mm: tuple[float, float]) -> tuple[int, int]:
    """A target with the sensor's aspect and about ``pixels`` pixels."""
    aspect = sensor_mm[0] / sensor_mm[1]
    width = max(1, round((pixels * aspect) ** 0.5))
    return width, max(1, round(pixels / width))


def camera_at(index: int) -> CameraState:
    return replace(CAMERA, position_m=(0.01 * (index % 10), 0.5, 1.6))


def measure_stage(name: str, config: StageConfig, node: str, runs: int, warmup: int) -> dict:
    """Every case of one stage on one context, round-robin; the JSON-ready result."""
    from OpenGL import GL

    from renderer.gl.program import Program
    from renderer.gl.resources import FULLSCREEN_VERTEX_SHADER, Framebuffer
    from renderer.node_outputs import NodeRenderer

    live = LiveState.from_config(config)
    gl = NodeRenderer(config, load_scene_config(SCENE), node, "headless", live)
    try:
        renderer = gl.groups[0].renderer
        outputs = gl.outputs
        pixels = node_wall_pixels(config, node)
        size = plain_size_px(pixels, CAMERA.sensor_mm)
        linear = Framebuffer(*size, "rgba16f", depth=True)
        encoded = Framebuffer(*size, "rgba8", depth=False)
        fetch = Program({"vertex": FULLSCREEN_VERTEX_SHADER, "fragment": ONE_FETCH_FRAGMENT_SHADER}, "one fetch")
        fetch.use()
        fetch.set_int("position_map", 0)
        frame = gl.draw([CAMERA])  # compiles every variant, renders the outer cube map once (the scene is static)
        gain = frame.exposure_gain
        state = {"i": 0}

        def icvfx() -> None:
            gl.draw([camera_at(state["i"])])

        def icvfx_full_inner() -> None:
            renderer.scissor_inner = False
            try:
                gl.draw([camera_at(state["i"])])
            finally:
                renderer.scissor_inner = True

        def uncached(draw: Callable[[], None]) -> Callable[[], None]:
            def run() -> None:
                renderer.compositor.cache_outer = False
                try:
                    draw()
                finally:
                    renderer.compositor.cache_outer = True
            return run

        def inner() -> None:
            f = gl.frame([camera_at(state["i"])], 0.0)
            renderer.render_inner(f.views, f.time_s)

        def walls() -> None:
            f = gl.frame([camera_at(state["i"])], 0.0)
            for out in outputs:
                out.bind()
                for wall, offset in out.walls:
                    renderer.draw_frame_wall(wall.name, out.origin_gl(wall, offset), f)

        def one_fetch() -> None:
            for out in outputs:
                out.bind()
                fetch.use()
                for wall, offset in out.walls:
                    surface = renderer.surfaces[wall.name]
                    origin = out.origin_gl(wall, offset)
                    GL.glViewport(origin[0], origin[1], surface.width_px, surface.height_px)
                    surface.position_map.bind(0)
                    GL.glUniform2i(fetch.location("viewport_origin"), *origin)
                    renderer.compositor.triangle.draw()

        def plain() -> None:
            view = camera_view(camera_at(state["i"]), 0.0)
            renderer.draw_camera(view, linear, encoded, gain, "srgb", 0.0, frame.white_balance)

        cases: dict[str, Callable[[], None]] = {"frame": icvfx, "frame_full_inner": icvfx_full_inner, "plain": plain,
                                                "frame_uncached": uncached(icvfx), "inner": inner, "walls": walls,
                                                "walls_uncached": uncached(walls), "one_fetch": one_fetch}
        result = round_robin(cases, runs, warmup, lambda index: state.update(i=index))
        for obj in (linear, encoded, fetch):
            obj.delete()
        renderer_name = gl.gl_renderer
        renderer_rect = renderer.inner_rects.get(0)
    finally:
        gl.close()
    inner_px = tuple(config.render.inner.resolution_px)
    return {
        "name": name, "node": node, "walls": sum(len(o.walls) for o in outputs), "wall_pixels": pixels,
        "plain_px": list(size), "inner_px": list(inner_px), "renderer": renderer_name, **result,
        "inner_rect_px": list(renderer_rect) if renderer_rect else None,
        "frame_over_plain": round(result["frame"]["ms_median"] / result["plain"]["ms_median"], 2),
        "frame_full_inner_over_plain": round(result["frame_full_inner"]["ms_median"] / result["plain"]["ms_median"],
                                             2),
        "walls_over_one_fetch": round(result["walls"]["ms_median"] / result["one_fetch"]["ms_median"], 2),
        "frame_uncached_over_plain": round(result["frame_uncached"]["ms_median"] / result["plain"]["ms_median"], 2),
        "walls_uncached_over_one_fetch": round(result["walls_uncached"]["ms_median"]
                                               / result["one_fetch"]["ms_median"], 2),
    }


def stages() -> list[tuple[str, StageConfig, str]]:
    """``(name, config, node)`` of every measured stage."""
    curved = load_stage_config(REPO / "tests" / "data" / "curved-small.yaml")
    return [("demo", with_scene(load_stage_config(REPO / "configs" / "demo.yaml")), "node1"),
            ("curved_1/8", one_node(curved), "bench"),
            ("curved_1/8_n2", with_scene(curved), "n2")]


def round_robin(cases: dict[str, Callable[[], None]], runs: int, warmup: int,
                before: Callable[[int], object] = lambda index: None) -> dict[str, dict[str, float]]:
    """Draw every case once per round (``before(round)`` first), ``glFinish`` after each draw, ``warmup`` untimed
    rounds then ``runs`` timed ones; :func:`~benchmarks.render_frame.stats` of each case."""
    from OpenGL import GL

    samples: dict[str, list[float]] = {k: [] for k in cases}
    for index in range(warmup + runs):
        before(index)
        for case, draw in cases.items():
            start = time.perf_counter()
            draw()
            GL.glFinish()
            if index >= warmup:
                samples[case].append((time.perf_counter() - start) * 1e3)
    return {k: stats(v) for k, v in samples.items()}


def run_main(argv: list[str] | None, name: str, doc: str, measure: Callable[..., dict], runs: int, warmup: int,
             **fields: object) -> int:
    """The command line of a per-stage benchmark: ``--runs``, ``--warmup``, ``--only``; one JSON object on stdout
    (``fields`` and every stage's ``measure(name, config, node, runs, warmup)``); exit 2 without GL."""
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks.{name}", description=doc.splitlines()[0])
    parser.add_argument("--runs", type=int, default=runs, help=f"timed rounds per stage (default {runs})")
    parser.add_argument("--warmup", type=int, default=warmup, help=f"untimed rounds first (default {warmup})")
    parser.add_argument("--only", action="append", help="measure only this stage (demo, curved_1/8, curved_1/8_n2)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from renderer.node import disable_gl_error_checks

    disable_gl_error_checks()  # as the node does by default
    try:
        result = {"benchmark": name, **fields,
                  "stages": [measure(stage, config, node, max(1, args.runs), max(0, args.warmup))
                             for stage, config, node in stages() if not args.only or stage in args.only]}
    except GLError as exc:
        sys.stderr.write(f"{name}: {exc}\n")
        return 2
    sys.stdout.write(json.dumps(result, indent=1) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main(argv, "frame_budget", __doc__, measure_stage, 60, 5, targets=TARGETS)


if __name__ == "__main__":
    sys.exit(main())
