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
import sys

from benchmarks.cluster_run import add_show_arguments, percentile, run_show

BREAKDOWN = ("daemon", "to_latch", "to_render", "render", "barrier", "present")


def run(nodes: int, seconds: float, render_ms: float, kind: str = "null", priority: str = "normal") -> dict:
    lines, clock = run_show(nodes, seconds, kind, render_ms, priority=priority)
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
        out[f"{key}_ms"] = {"p50": percentile(spans[key], 50), "p99": percentile(spans[key], 99)}
    out["breakdown_ms_p50"] = {k: percentile(spans[k], 50) for k in BREAKDOWN}
    measured = [clock[x["frame"]] for x in lines if x["frame"] in clock]
    out["phase_lock"] = {
        "locked_share": round(sum(c["phase_lock"] == "locked" for c in measured) / len(measured), 3) if measured
        else None,
        "grid_offset_ms": measured[-1]["grid_offset_ms"] if measured else None,
    }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.frame_latency", description=__doc__.splitlines()[0])
    add_show_arguments(parser)
    parser.add_argument("--render-ms", type=float, default=0.0, help="null nodes sleep this long per frame")
    args = parser.parse_args(argv)
    kind = "render" if args.render else "null"
    results = {f"nodes_{n}": run(n, args.seconds, args.render_ms, kind, args.priority) for n in args.nodes}
    print(json.dumps({"rate": "60", "frame_period_ms": round(1000 / 60, 3), "cpus": os.cpu_count(),
                      "priority": args.priority,
                      "loadavg_1m": round(os.getloadavg()[0], 2), **results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
