"""Render-node costs, headless: curved against flat walls, the Python per frame, and pose to frame.

Prints one JSON object on stdout (not a test; numbers move when other work shares the cores); frame times are
medians with p10/p90 over ``--runs`` frames after warm-up, ``glFinish`` per frame. What a whole ICVFX frame costs
against a plain render of the scene is :mod:`benchmarks.frame_budget`.

* ``curved_vs_flat``: one 14-section curved wall against a flat wall of the same pixel count.
* ``python_8_outputs``: a node with 8 outputs of one tiny wall each, so the GL raster work is negligible: wall and
  main-thread CPU time of the Python frame code (before ``glFinish``), the ``glFinish`` wait, and GL calls/frame.
* ``pose_to_frame``: a real node process fed poses at 60 Hz: pose ``t_pub`` → frame finished, from its stats.

    python -m benchmarks.render_frame --runs 100
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

from renderer.gl import GLError
from renderer.views import CameraState
from stage.core.config.loader import load_scene_config
from stage.core.config.stage import StageConfig
from stage.core.live import LiveState

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parent.parent
SCENE = REPO / "scenes" / "demo.yaml"
CAMERA = CameraState(camera="bench", position_m=(0.0, 0.5, 1.6), rotation_deg=(5.0, 0.0, 0.0), focal_length_mm=24.0,
                     sensor_mm=(24.89, 14.0), entrance_pupil_m=0.12)


def stats(samples_ms: list[float]) -> dict[str, float]:
    a = np.asarray(samples_ms)
    return {"ms_median": round(float(np.median(a)), 3), "ms_p10": round(float(np.percentile(a, 10)), 3),
            "ms_p90": round(float(np.percentile(a, 90)), 3)}


def frame_times(config: StageConfig, runs: int, warmup: int, probe=None) -> dict:
    """Per-frame times of a headless node drawing ``config``'s node ``bench``."""
    from renderer.node_outputs import NodeRenderer

    gl = NodeRenderer(config, load_scene_config(SCENE), "bench", "headless", LiveState.from_config(config))
    try:
        from OpenGL import GL

        total, python, cpu, finish = [], [], [], []
        for i in range(warmup + runs):
            cam = CameraState(**{**CAMERA.__dict__, "position_m": (0.01 * (i % 10), 0.5, 1.6)})
            t0, c0 = time.perf_counter(), time.thread_time()
            gl.draw([cam])
            t1, c1 = time.perf_counter(), time.thread_time()
            GL.glFinish()
            t2 = time.perf_counter()
            if i >= warmup:
                total.append((t2 - t0) * 1e3)
                python.append((t1 - t0) * 1e3)
                cpu.append((c1 - c0) * 1e3)
                finish.append((t2 - t1) * 1e3)
        result = {"frame": stats(total), "draw_call_ms_median": round(float(np.median(python)), 3),
                  "main_thread_cpu_ms_median": round(float(np.median(cpu)), 3),
                  "glfinish_ms_median": round(float(np.median(finish)), 3), "renderer": gl.gl_renderer}
        if probe is not None:
            result.update(probe(gl, cam))
        return result
    finally:
        gl.close()


def count_gl_calls(gl, cam: CameraState) -> dict:
    """GL entry points called by one frame's Python code (``OpenGL.GL`` functions wrapped for one frame)."""
    import OpenGL.GL as GLmod

    counts = {"n": 0}
    originals = {}
    for name in dir(GLmod):
        fn = getattr(GLmod, name)
        if name.startswith("gl") and callable(fn):
            originals[name] = fn

            def wrapped(*a, _fn=fn, **k):
                counts["n"] += 1
                return _fn(*a, **k)

            setattr(GLmod, name, wrapped)
    try:
        gl.draw([cam])
    finally:
        for name, fn in originals.items():
            setattr(GLmod, name, fn)
    GLmod.glFinish()
    return {"gl_calls_per_frame": counts["n"]}


def _single_wall(curved: bool, width: int, height: int) -> StageConfig:
    wall = ({"kind": "curved", "arc": {"center_m": [0.0, 0.0], "radius_m": 6.0, "start_deg": 156.864433,
                                       "end_deg": 23.135567}, "height_m": 6.0, "columns": 28}
            if curved else
            {"kind": "flat", "corners": {"lower_left": [-5.5, 4.0, 0.0], "lower_right": [5.5, 4.0, 0.0],
                                         "upper_left": [-5.5, 4.0, 6.0]}})
    return StageConfig.model_validate({
        "name": "bench", "scene": str(SCENE),
        "walls": [{"name": "w", **wall, "resolution_px": [width, height], "output": {"node": "bench"}}],
        "nodes": [{"name": "bench", "outputs": [{"name": "o", "resolution_px": [width, height]}]}],
        "render": {"inner": {"resolution_px": [1024, 576]}},
    })


def eight_outputs() -> StageConfig:
    walls = [{"name": f"w{i}", "kind": "flat", "resolution_px": [16, 16],
              "corners": {"lower_left": [i - 4.0, 4.0, 0.0], "lower_right": [i - 3.0, 4.0, 0.0],
                          "upper_left": [i - 4.0, 4.0, 1.0]},
              "output": {"node": "bench", "output": f"o{i}"}} for i in range(8)]
    return StageConfig.model_validate({
        "name": "bench", "scene": str(SCENE), "walls": walls,
        "nodes": [{"name": "bench", "outputs": [{"name": f"o{i}", "resolution_px": [16, 16]} for i in range(8)]}],
        "render": {"inner": {"resolution_px": [32, 18]}},
    })


def pose_to_frame(seconds: float, config: Path = REPO / "configs" / "demo.yaml", node: str = "node1",
                  camera: str = "cam1") -> dict:
    """A real headless node (default: the demo stage) fed 60 Hz poses; pose ``t_pub`` → frame finished."""
    import subprocess

    import zmq

    from stage.core.wire.render_stats import decode
    from tests.renderer.node_helpers import pose_frames

    ctx = zmq.Context()
    pub, stats = ctx.socket(zmq.PUB), ctx.socket(zmq.SUB)
    for sock in (pub, stats):
        sock.setsockopt(zmq.LINGER, 0)
        sock.bind("tcp://127.0.0.1:*")
    stats.setsockopt(zmq.SUBSCRIBE, b"")
    endpoint = {s: s.getsockopt(zmq.LAST_ENDPOINT).decode() for s in (pub, stats)}
    proc = subprocess.Popen([sys.executable, "-m", "renderer", str(config), "--node", node,
                             "--headless", "--pose", endpoint[pub], "--stats", endpoint[stats], "--state",
                             "tcp://127.0.0.1:9"], cwd=REPO, stderr=subprocess.DEVNULL)
    reports, seq, end = [], 0, time.monotonic() + 30.0
    try:
        next_pose = time.monotonic()
        while time.monotonic() < end:
            now = time.monotonic()
            if now >= next_pose:
                seq += 1
                pub.send_multipart(pose_frames(camera, (0.01 * (seq % 50), 0.5, 1.6), (5.0, 0.0, 0.0), seq))
                next_pose += 1 / 60
            if stats.poll(max(1, int((next_pose - time.monotonic()) * 1000))):
                report = decode(stats.recv_multipart())
                if report.pose_to_frame_ms_p50 is not None:
                    reports.append(report)
                    end = min(end, time.monotonic() + seconds) if len(reports) == 1 else end
    finally:
        proc.terminate()
        proc.wait(10)
        ctx.destroy(linger=0)
    steady = reports[1:] or reports
    return {"poses_hz": 60, "seconds": len(steady),
            "ms_p50": round(float(np.median([r.pose_to_frame_ms_p50 for r in steady])), 3),
            "ms_p99": round(max(r.pose_to_frame_ms_p99 for r in steady), 3),
            "node_fps": round(float(np.median([r.fps for r in steady])), 1),
            "node_frame_ms_p50": round(float(np.median([r.frame_ms_p50 for r in steady])), 3),
            "target_fps": 60}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="timed frames per case (default 100)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed frames first (default 10)")
    parser.add_argument("--latency-seconds", type=float, default=4.0, help="pose→frame run length (default 4)")
    parser.add_argument("--gl-checks", action="store_true", help="keep per-call glGetError (node default: off)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not args.gl_checks:
        from renderer.node import disable_gl_error_checks

        disable_gl_error_checks()  # as the node does by default
    try:
        result: dict = {"benchmark": "render_frame"}
        curved = frame_times(_single_wall(True, 1344, 576), args.runs, args.warmup)
        flat = frame_times(_single_wall(False, 1344, 576), args.runs, args.warmup)
        result["curved_vs_flat"] = {"pixels": [1344, 576], "sections": 28, "curved": curved["frame"],
                                    "flat": flat["frame"],
                                    "ratio": round(curved["frame"]["ms_median"] / flat["frame"]["ms_median"], 3)}
        eight = frame_times(eight_outputs(), args.runs, args.warmup, probe=count_gl_calls)
        eight.pop("renderer")
        result["python_8_outputs"] = eight
        result["pose_to_frame"] = pose_to_frame(args.latency_seconds)
    except GLError as exc:
        sys.stderr.write(f"render_frame: {exc}\n")
        return 2
    sys.stdout.write(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
