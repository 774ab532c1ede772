"""The process harness of the frame-lock benchmarks (``frame_latency``, ``picture_motion``): the demo stage in frame
lock on free loopback ports, with the tracking daemon (``stage track``), the frame clock (``stage clock``) and N
render nodes (null nodes, or real headless ``stage node`` processes) running as processes, and their frame logs.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from stage.core.cluster.frame_log import read_frame_log
from stage.core.config.loader import load_stage_config
from stage.core.config.wall_geometry import wall_resolution_px

REPO = Path(__file__).resolve().parent.parent
WARMUP_S = 5.0
"""Frames presented in the first seconds (processes starting, nodes joining, the late latch and the phase lock
adapting) are left out."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float, digits: int = 3) -> float | None:
    return round(float(np.percentile(np.asarray(values), q)), digits) if values else None


def stage_config(directory: Path, nodes: int, edit: Callable[[dict], None] | None = None,
                 priority: str = "normal") -> Path:
    """The demo stage in frame lock at 60 fps on free ports, written to ``directory/stage.yaml``; with ``nodes`` > 1
    its walls are spread over nodes ``n0``.. (one output per wall), as a volume spreads its walls over render
    machines; ``priority`` is ``cluster.priority`` (the clock and every node). ``edit`` may change the config data
    (sources, cameras) before it is written."""
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
    ports = [free_port() for _ in range(6)]
    data["endpoints"] = {"pose": f"tcp://127.0.0.1:{ports[0]}", "state": f"tcp://127.0.0.1:{ports[1]}",
                         "render_stats": f"tcp://127.0.0.1:{ports[2]}"}
    data.setdefault("control", {})["endpoint"] = f"tcp://127.0.0.1:{ports[3]}"
    data["cluster"] = {"frame_lock": True, "frame_rate": 60, "priority": priority,
                       "frames": f"tcp://127.0.0.1:{ports[4]}", "ready": f"tcp://127.0.0.1:{ports[5]}"}
    if edit is not None:
        edit(data)
    path = directory / "stage.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def node_argv(kind: str, name: str, config: Path, cluster, logs: Path, render_ms: float) -> list[str]:
    """A render node process: ``render`` (headless ``stage node``) or ``null`` (renders nothing, or sleeps); its
    priority: ``cluster.priority`` of the config."""
    if kind == "render":
        return [sys.executable, "-m", "stage.app.cli", "node", str(config), "--node", name, "--headless", "--frame-log",
                str(logs)]
    return [sys.executable, "-m", "stage.core.cluster.null_node", "--node", name, "--frames", cluster.frames, "--ready",
            cluster.ready, "--frame-log", str(logs), "--render-ms", str(render_ms), "--priority", cluster.priority]


def run_show(nodes: int, seconds: float, kind: str = "null", render_ms: float = 0.0,
             edit: Callable[[dict], None] | None = None,
             priority: str = "normal") -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]]:
    """Run tracking, clock and ``nodes`` nodes for :data:`WARMUP_S` + ``seconds``: every node's frame-log lines
    presented in the barrier with poses during the last ``seconds``, and the clock's frame log by frame number."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        config = stage_config(directory, nodes, edit, priority)
        logs = directory / "frames"
        cluster = load_stage_config(config).cluster
        quiet = {"cwd": REPO, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        procs = [subprocess.Popen([sys.executable, "-m", "stage.app.cli", "track", str(config)], **quiet),
                 subprocess.Popen([sys.executable, "-m", "stage.app.cli", "clock", str(config), "--frame-log",
                                   str(logs)], **quiet)]
        procs += [subprocess.Popen(node_argv(kind, f"n{i}", config, cluster, logs, render_ms), **quiet)
                  for i in range(nodes)]
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
    return lines, clock


def add_show_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every benchmark of a running show takes: node counts, measured seconds, real or null nodes and
    ``cluster.priority``."""
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per run (after warm-up)")
    parser.add_argument("--render", action="store_true",
                        help="real headless render nodes (stage node, the demo stage's walls spread over them)")
    parser.add_argument("--priority", choices=("normal", "high", "realtime"), default="normal",
                        help="cluster.priority of the clock and the nodes")
