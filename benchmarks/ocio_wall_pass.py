"""The wall pass through OCIO vs the built-in output transform, on the same wall, in the same run.

One flat wall (``--size``, default 1024×512 LED pixels, the demo's 6 × 3 m main wall) with the inner frustum of
the demo camera (24 mm on Super 35 from 3.5 m; ``inner_coverage`` in the output is the fraction of the wall under
it), the outer cube map and two light cards, drawn by :class:`renderer.gl.wall_pass.WallCompositor` into an
offscreen target with ``glFinish`` per draw. Cases are drawn round-robin (one draw of each per round, so machine
noise hits them alike); the JSON on stdout has each case's median and p10/p90 in milliseconds and its ratio to the
built-in case with the same bit depth (8-bit ``builtin-srgb``, float ``builtin-pq-rec2020``; the OpenVPCal-shaped
config, a 3×3 + gamma 2.4 + a 17³ LUT, against the built-in BT.1886 + P3 + the same LUT). Built-in and OCIO walls
alike draw the wall outside the inner frustum from their caches (renderer/gl/wall_cache.py), so the ratios compare
the output transforms where they run every frame; the ``-exposure-ride`` cases change their exposure on every draw,
as a fader being moved does (no cache can be reused: the whole wall through the full pass), the OCIO one against
the built-in one. Target (docs/performance.md): OCIO under 1.2×.

    python -m benchmarks.ocio_wall_pass --runs 40 [--focal-length 50]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from renderer.gl import create_context

REPO = Path(__file__).resolve().parents[1]
STUDIO = "ocio://studio-config-latest"
WARM_LUT = str(REPO / "configs" / "luts" / "warm-17.cube")
OPENVPCAL = str(REPO / "configs" / "ocio" / "openvpcal-example" / "config.ocio")

CASES: dict[str, tuple[str | None, dict, str]] = {
    # name: (OCIO config or None, WallColor fields, baseline case)
    "builtin-srgb": (None, {}, "builtin-srgb"),
    "builtin-pq-rec2020": (None, {"transfer": "pq", "gamut": "rec2020"}, "builtin-pq-rec2020"),
    "builtin-bt1886-p3d65-lut": (None, {"transfer": "bt1886", "gamut": "p3d65", "lut": WARM_LUT},
                                 "builtin-bt1886-p3d65-lut"),
    "ocio-srgb-untonemapped": (STUDIO, {"display": "sRGB - Display", "view": "Un-tone-mapped"}, "builtin-srgb"),
    "ocio-srgb-aces2": (STUDIO, {"display": "sRGB - Display"}, "builtin-srgb"),
    "ocio-rec1886-aces2": (STUDIO, {"display": "Rec.1886 Rec.709 - Display"}, "builtin-srgb"),
    "ocio-rec2100-pq-aces2": (STUDIO, {"display": "Rec.2100-PQ - Display"}, "builtin-pq-rec2020"),
    "ocio-openvpcal": (OPENVPCAL, {}, "builtin-bt1886-p3d65-lut"),
    "builtin-srgb-exposure-ride": (None, {}, "builtin-srgb-exposure-ride"),
    "ocio-srgb-aces2-exposure-ride": (STUDIO, {"display": "sRGB - Display"}, "builtin-srgb-exposure-ride"),
}
RIDING = frozenset({"builtin-srgb-exposure-ride", "ocio-srgb-aces2-exposure-ride"})
"""Cases whose exposure changes on every draw (a fader being moved): nothing outside the inner frustum can be
reused."""


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _size(text: str) -> tuple[int, int]:
    w, _, h = text.partition("x")
    return _positive_int(w), _positive_int(h)


def measure(size: tuple[int, int], runs: int, warmup: int, focal_length: float = 24.0) -> dict[str, object]:
    with create_context("headless") as context:
        from OpenGL import GL

        from renderer.gl.resources import Framebuffer
        from renderer.gl.targets import CubeTarget, LayeredTarget
        from renderer.gl.wall_pass import WallCompositor, WallFrame, WallSurface
        from renderer.lightcards import PlacedCard
        from renderer.views import CameraState, camera_view
        from stage.core.config.color import ColorManagement, WallColor
        from stage.core.config.walls import FlatWall

        info = context.info()
        wall = FlatWall(name="w", kind="flat", resolution_px=size, output={"node": "n"},
                        corners={"lower_left": [-3, 4, 0], "lower_right": [3, 4, 0], "upper_left": [-3, 4, 3]})
        surfaces = {name: WallSurface(wall) for name in CASES}
        compositor = WallCompositor()
        inner, outer = LayeredTarget(640, 360, 1), CubeTarget(256)
        for face in range(6):  # a non-trivial outer frustum: a different grey per face
            outer.bind_face(face)
            GL.glClearColor(0.1 * face, 0.05 * face, 0.2, 1.0)
            GL.glClear(GL.GL_COLOR_BUFFER_BIT)
        inner.bind_layer(0)
        GL.glClearColor(0.8, 0.4, 0.2, 1.0)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT)
        camera = CameraState("A", (0.0, 0.5, 1.6), (0.0, 0.0, 0.0), focal_length, (24.89, 14.0), 0.12)
        clip = camera_view(camera, 10.0).clip_from_world  # the demo camera: S35 with 10 % overscan, 3.5 m away
        coverage = inner_coverage(wall, clip)
        cards = [PlacedCard(f"c{i}", "w", np.array([x, 4.0, 1.5]), np.array([1.0, 0, 0]), np.array([0, 0, 1.0]),
                            (0.6, 0.6), True, 0.5, (4.0, 3.5, 3.0)) for i, x in enumerate((-2.0, 2.0))]
        targets = {}
        frames = {}
        colors = {}
        for name, (config, fields, _) in CASES.items():
            management = ColorManagement(ocio_config=config, working_space="ACEScg" if config else None)
            frames[name] = WallFrame(inner_clip=[clip], soft_edge_pct=5.0, chroma_key=False, key_color=(0, 0, 0),
                                     marker_grid=False, marker_spacing_m=1.0, outer_eye_m=(0.0, 1.0, 1.7),
                                     exposure_gain=1.0, color_management=management)
            colors[name] = WallColor(**fields)
            wall.color = colors[name]
            high = compositor.output_transform(surfaces[name], frames[name])[0].high_bit_depth
            targets[name] = Framebuffer(*size, "rgba32f" if high else "rgba8", depth=False)
        timings: dict[str, list[float]] = {name: [] for name in CASES}
        for index in range(warmup + runs):
            for name in CASES:
                wall.color = colors[name]
                targets[name].bind()
                frame = frames[name]
                if name in RIDING:
                    frame = replace(frame, exposure_gain=1.0 + 0.001 * (index % 2 + 1))  # never the last one
                start = time.perf_counter()
                compositor.draw(surfaces[name], (0, 0), frame, inner, outer, cards)
                GL.glFinish()
                if index >= warmup:
                    timings[name].append((time.perf_counter() - start) * 1000.0)
        for obj in (*targets.values(), compositor, *surfaces.values(), inner, outer):
            obj.delete()
    medians = {name: float(np.median(t)) for name, t in timings.items()}
    cases = {}
    for name, (_, _, baseline) in CASES.items():
        samples = np.asarray(timings[name])
        cases[name] = {
            "ms_median": round(medians[name], 3),
            "ms_p10": round(float(np.percentile(samples, 10)), 3),
            "ms_p90": round(float(np.percentile(samples, 90)), 3),
            "baseline": baseline,
            "ratio": round(medians[name] / medians[baseline], 3),
        }
    return {"benchmark": "ocio_wall_pass", "renderer": info.renderer, "version": info.version,
            "size_px": list(size), "focal_length_mm": focal_length, "inner_coverage": round(coverage, 3),
            "runs": runs, "cases": cases}


def inner_coverage(wall, clip: np.ndarray) -> float:
    """Fraction of the wall's pixels inside the inner frustum (where OCIO runs every frame)."""
    from stage.core.config.wall_geometry import pixel_positions

    p = pixel_positions(wall).reshape(-1, 3)
    c = np.c_[p, np.ones(len(p))] @ np.asarray(clip).T
    inside = (c[:, 3] > 0) & (np.abs(c[:, 0]) <= c[:, 3]) & (np.abs(c[:, 1]) <= c[:, 3])
    return float(inside.mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=_size, default=(1024, 512), help="wall pixels, WxH (default 1024x512)")
    parser.add_argument("--runs", type=_positive_int, default=60)
    parser.add_argument("--warmup", type=_positive_int, default=5)
    parser.add_argument("--focal-length", type=float, default=24.0,
                        help="camera lens, mm (wider: more of the wall under the inner frustum; default 24)")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.size, args.runs, args.warmup, args.focal_length), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
