"""Where the wall pass goes: the wall passes of :mod:`benchmarks.frame_budget`'s stages against variants, each
leaving one part out, drawn round-robin in the same run (``glFinish`` per draw; medians, p10/p90; ratios to
``walls``). Not a target and not in ``stage bench``: it tells what a change to the wall pass would buy.

* ``walls``: the full wall pass over every pixel, as the node drew every wall before the outer caches
  (``WallCompositor.cache_outer`` off; one camera, inner frustum and outer cube map rendered once before). All
  variants but ``outer_cached`` are this pass with one part left out.
* ``no_cameras``: no inner frustum composited (outer cube map and output transform only).
* ``cube_no_mip``: the outer cube map sampled bilinear from level 0 only, not trilinear (**not exact**: walls that
  see the cube minified alias; shows what the mip chain costs).
* ``cube_no_mip_no_seamless``: the same, and ``GL_TEXTURE_CUBE_MAP_SEAMLESS`` off (**not exact** either).
* ``linear_transfer``: the output transform's transfer function left out (``WallFrame.transfer = "linear"``).
* ``outer_cached``: every wall drawn as the node now draws it (``WallCompositor._draw_cached``: the wall outside
  the inner frusta kept in a float texture while the scene is static, copied, and the full pass scissored to the
  rectangle the frusta cover). Exact: ``outer_cached_exact`` says whether its output equals ``walls`` byte for
  byte in this run (after three draws: the caches drawn, then copied).

    python -m benchmarks.frame_profile --runs 30
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from benchmarks.frame_budget import CAMERA, SCENE, round_robin, run_main
from stage.core.config.loader import load_scene_config
from stage.core.config.stage import StageConfig
from stage.core.live import LiveState


def measure_stage(name: str, config: StageConfig, node: str, runs: int, warmup: int) -> dict:
    from OpenGL import GL

    from renderer.gl import wall_pass
    from renderer.node_outputs import NodeRenderer

    gl = NodeRenderer(config, load_scene_config(SCENE), node, "headless", LiveState.from_config(config))
    try:
        renderer = gl.groups[0].renderer
        compositor = renderer.compositor
        frame = gl.draw([CAMERA])
        compositor.cache_outer = False  # ``walls`` and its variants: the full pass (``outer_cached`` calls the cache)

        def walls(f=frame) -> None:
            for out in gl.outputs:
                out.bind()
                for wall, offset in out.walls:
                    renderer.draw_frame_wall(wall.name, out.origin_gl(wall, offset), f)

        def cube(mip: bool, seamless: bool) -> None:
            GL.glBindTexture(GL.GL_TEXTURE_CUBE_MAP, renderer.outer.texture)
            GL.glTexParameteri(GL.GL_TEXTURE_CUBE_MAP, GL.GL_TEXTURE_MIN_FILTER,
                               GL.GL_LINEAR_MIPMAP_LINEAR if mip else GL.GL_LINEAR)
            (GL.glEnable if seamless else GL.glDisable)(GL.GL_TEXTURE_CUBE_MAP_SEAMLESS)

        def without_cube_filtering(seamless: bool) -> Callable[[], None]:
            def draw() -> None:
                cube(False, seamless)
                try:
                    walls()
                finally:
                    cube(True, True)
            return draw

        def outer_cached() -> None:
            for out in gl.outputs:
                out.bind()
                for wall, offset in out.walls:
                    surface = renderer.surfaces[wall.name]
                    transform, defines = compositor.output_transform(surface, frame.wall)
                    mine = [c for c in frame.cards if c.wall == wall.name][:wall_pass.MAX_CARDS]
                    live = frame.wall_live(wall.name)
                    gain = frame.exposure_gain * live.brightness if live.enabled else 0.0
                    compositor._draw_cached(surface, out.origin_gl(wall, offset), frame.wall,
                                            min(len(frame.wall.inner_clip), wall_pass.MAX_CAMERAS), renderer.inner,
                                            renderer.outer, mine, transform, defines, gain)

        cases: dict[str, Callable[[], None]] = {
            "walls": walls,
            "no_cameras": lambda: walls(replace(frame, wall=replace(frame.wall, inner_clip=[]))),
            "cube_no_mip": without_cube_filtering(True),
            "cube_no_mip_no_seamless": without_cube_filtering(False),
            "linear_transfer": lambda: walls(replace(frame, wall=replace(frame.wall, transfer="linear"))),
            "outer_cached": outer_cached,
        }
        walls()
        reference = [out.read() for out in gl.outputs]
        for _ in range(3):  # a new frame draws the whole wall, the next the caches, the third copies them
            outer_cached()
        exact = all(np.array_equal(out.read(), ref) for out, ref in zip(gl.outputs, reference, strict=True))
        result = round_robin(cases, runs, warmup)
    finally:
        gl.close()
    base = result["walls"]["ms_median"]
    return {"name": name, "node": node, **result, "outer_cached_exact": exact,
            "ratio_to_walls": {k: round(v["ms_median"] / base, 2) for k, v in result.items()}}


def main(argv: list[str] | None = None) -> int:
    return run_main(argv, "frame_profile", __doc__, measure_stage, 30, 3)


if __name__ == "__main__":
    sys.exit(main())
