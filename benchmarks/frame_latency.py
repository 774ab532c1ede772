"""Pose-to-present latency through the frame lock: the tracking daemon, the frame clock and N render nodes.

    python -m benchmarks.frame_latency [--nodes 1 3] [--seconds 10] [--render-ms 0 | --render] [--priority P]

Runs the demo stage's tracking (``stage track``: its simulated camera at 60 Hz), the frame clock (``stage clock``)
at 60 fps and N null render nodes (``python -m stage.core.cluster.null_node``, "rendering" for ``--render-ms``), all
as processes on loopback, and reads the nodes' frame logs. Per presented frame and camera:

* ``arrival_to_present_ms``: the daemon received the pose (``t_recv``) → the node presented the frame; the issue's
  target is a p50 within one frame period;
* ``sample_to_present_ms``: the tracker's sample time → present (the simulated source samples on receive);
* the median of each stage: daemon (receive → publish), to latch (publish → the clock latched it), to render
  (latch → render start), render, barrier (render end → release received: the late latch's margin, since the
  clock releases a frame when it is due), present.

The null nodes render nothing (or sleep ``--render-ms``): this measures the frame lock's share of the latency.
``--render`` runs real headless render nodes instead (``stage node``; with N nodes the demo stage's walls are spread
over them, one output per wall). ``--priority`` sets ``cluster.priority`` (the clock and every node). The clock
phase-locks its frames to the tracker (``cluster.phase_lock``, on by default): ``phase_lock`` reports the share of
measured frames latched while locked and the median age of the latched pose (``to_latch``). Prints one JSON
object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from stage.core.cluster.frame_log import read_frame_log
from stage.core.config.loader import load_stage_config
from stage.core.config.wall_geometry import wall_resolution_px

REPO = Path(__file__).resolve().parent.parent
WARMUP_S = 5.0
BREAKDOWN = ("daemon", "to_latch", "to_render", "render", "barrier", "present")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(directory: Path, nodes: int, priority: str = "normal") -> Path:
    """The demo stage in frame lock at 60 fps on free ports; with ``nodes`` > 1 its walls are spread over nodes
    ``n0``.. (one output per wall), as a volume spreads its walls over render machines."""
    demo = REPO / "configs" / "demo.yaml"
    data = yaml.safe_load(demo.read_text())
    sizes = [wall_resolution_px(w) for w in load_stage_config(demo).walls]
    data["scene"] = str(REPO / "scenes" / "demo.yaml")
    names = [f"n{i}" for i in range(nodes)]
    outputs: dict[str, list[dict]] = {n: [] for n in names}
    for i, wall in enumerate(data["walls"]):
        node = names[i % nodes]
        name = f"o{len(outputs[node])}"
        outputs[node].append({"name": name, "resolution_px": list(sizes[i])})
        wall["output"] = {"node": node, "output": name, "offset_px": [0, 0]}
    data["nodes"] = [{"name": n, "outputs": outputs[n]} for n in names]
    ports = [_free_port() for _ in range(6)]
    data["endpoints"] = {"pose": f"tcp://127.0.0.1:{ports[0]}", "state": f"tcp://127.0.0.1:{ports[1]}",
                         "render_stats": f"tcp://127.0.0.1:{ports[2]}"}
    data.setdefault("control", {})["endpoint"] = f"tcp://127.0.0.1:{ports[3]}"
    data["cluster"] = {"frame_lock": True, "frame_rate": 60, "priority": priority,
                       "frames": f"tcp://127.0.0.1:{ports[4]}",
                       "ready": f"tcp://127.0.0.1:{ports[5]}"}
    path = directory / "stage.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _p(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(np.asarray(values), q)), 3) if values else None


def _node(kind: str, name: str, config: Path, cluster, logs: Path, render_ms: float) -> list[str]:
    """A render node's command line (its priority: ``cluster.priority`` of the config)."""
    if kind == "render":
        return [sys.executable, "-m", "stage.app.cli", "node", str(config), "--node", name, "--headless", "--frame-log",
                str(logs)]
    return [sys.executable, "-m", "stage.core.cluster.null_node", "--node", name, "--frames", cluster.frames, "--ready",
            cluster.ready, "--frame-log", str(logs), "--render-ms", str(render_ms), "--priority", cluster.priority]


def run(nodes: int, seconds: float, render_ms: float, kind: str = "null", priority: str = "normal") -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        config = _config(directory, nodes, priority)
        logs = directory / "frames"
        cluster = load_stage_config(config).cluster
        procs = [subprocess.Popen([sys.executable, "-m", "stage.app.cli", "track", str(config)], cwd=REPO,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
                 subprocess.Popen([sys.executable, "-m", "stage.app.cli", "clock", str(config), "--frame-log",
                                   str(logs)], cwd=REPO,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        procs += [subprocess.Popen(_node(kind, f"n{i}", config, cluster, logs, render_ms), cwd=REPO,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(nodes)]
        try:
            time.sleep(WARMUP_S + seconds)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(30)
        lines = [x for i in range(nodes) for x in read_frame_log(logs / f"n{i}.frames.jsonl")]
        clock = {x["frame"]: x for x in read_frame_log(logs / "_clock.frames.jsonl")}
    lines = [x for x in lines if x["in_barrier"] and x["pose_t"]]
    if lines:
        cutoff = max(x["t_present"] for x in lines) - seconds
        lines = [x for x in lines if x["t_present"] >= cutoff]
    spans: dict[str, list[float]] = {k: [] for k in ("arrival_to_present", "sample_to_present", *BREAKDOWN)}
    for x in lines:
        for t_sample, t_recv, t_pub in x["pose_t"].values():
            values = {"arrival_to_present": x["t_present"] - t_recv, "sample_to_present": x["t_present"] - t_sample,
                      "daemon": t_pub - t_recv, "to_latch": x["t_latch"] - t_pub,
                      "to_render": x["t_render_start"] - x["t_latch"],
                      "render": x["t_render_end"] - x["t_render_start"],
                      "barrier": x["t_release_recv"] - x["t_render_end"],
                      "present": x["t_present"] - x["t_release_recv"]}
            for key, seconds_ in values.items():
                spans[key].append(seconds_ * 1000.0)
    out: dict = {"nodes": nodes, "kind": kind, "frames": len(lines), "render_ms": render_ms if kind == "null" else None}
    for key in ("arrival_to_present", "sample_to_present"):
        out[f"{key}_ms"] = {"p50": _p(spans[key], 50), "p99": _p(spans[key], 99)}
    out["breakdown_ms_p50"] = {k: _p(spans[k], 50) for k in BREAKDOWN}
    measured = [clock[x["frame"]] for x in lines if x["frame"] in clock]
    out["phase_lock"] = {
        "locked_share": round(sum(c["phase_lock"] == "locked" for c in measured) / len(measured), 3) if measured
        else None,
        "grid_offset_ms": measured[-1]["grid_offset_ms"] if measured else None,
    }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.frame_latency", description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per run (after warm-up)")
    parser.add_argument("--render-ms", type=float, default=0.0, help="null nodes sleep this long per frame")
    parser.add_argument("--render", action="store_true",
                        help="real headless render nodes (stage node, the demo stage's walls spread over them)")
    parser.add_argument("--priority", choices=("normal", "high", "realtime"), default="normal",
                        help="cluster.priority of the clock and the nodes")
    args = parser.parse_args(argv)
    kind = "render" if args.render else "null"
    results = {f"nodes_{n}": run(n, args.seconds, args.render_ms, kind, args.priority) for n in args.nodes}
    print(json.dumps({"rate": "60", "frame_period_ms": round(1000 / 60, 3), "cpus": os.cpu_count(),
                      "priority": args.priority,
                      "loadavg_1m": round(os.getloadavg()[0], 2), **results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
