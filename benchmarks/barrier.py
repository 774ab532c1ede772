"""Swap-barrier overhead of the frame lock on loopback: N null render nodes (rendering nothing) and the leader.

    python -m benchmarks.barrier [--nodes 3 8] [--frames 600] [--rate 60] [--priority normal realtime]

For each node count: the leader runs in this process (releasing as soon as the last member is ready, so nothing but
the barrier is measured) and every node is its own process (``python -m stage.core.cluster.null_node``) writing a frame
log. Per frame with every node in the barrier:

* ``barrier_ms``: from the last node's render end to the last node receiving the release (ready message out, leader
  decision, release message in) — the time the barrier adds to a frame;
* ``leader_ms``: from the last ``ready`` being sent to the leader sending the release;
* ``hops_ms_p50``: where the time goes, medians: ``ready_out`` (the last node's render end → its ``ready`` sent: its
  Python), ``to_leader`` (sent → received by the leader: ZeroMQ and the scheduler), ``decide`` (received → release
  sent: the leader's Python), ``to_first`` / ``to_last`` (release sent → the first / last node has it).

Each ``--priority`` (``cluster.priority``: ``normal``, ``high``, ``realtime``; :mod:`stage.core.priority`) is a run of
its own, the leader and every node at that priority: ``normal`` fills ``nodes_<N>``, another one
``priority_<name>.nodes_<N>`` (with ``applied``: what the processes got, ``normal`` where it was not permitted).

Prints one JSON object with p50/p99 per node count. All processes share this machine's cores, so the numbers include
the scheduler: run on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from stage.core.cluster.frame_log import read_frame_log
from stage.core.cluster.leader import FrameLeader, LeaderSettings
from stage.core.cluster.records import ReleasedFrame
from stage.core.priority import CLOCK_BOOST, NORMAL, PRIORITIES, apply_priority, reset_priority

REPO = Path(__file__).resolve().parent.parent
JOIN_TIMEOUT_S = 120.0
WARMUP_FRAMES = 30
HOPS = ("ready_out", "to_leader", "decide", "to_first", "to_last")


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None}
    a = np.asarray(values)
    return {"p50": round(float(np.percentile(a, 50)), 4), "p99": round(float(np.percentile(a, 99)), 4)}


def run(nodes: int, frames: int, rate: Fraction, priority: str = NORMAL) -> dict:
    names = [f"n{i}" for i in range(nodes)]
    released: list[ReleasedFrame] = []
    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(tmp)
        leader = FrameLeader(LeaderSettings(rate=rate, frames_endpoint="tcp://127.0.0.1:*",
                                            ready_endpoint="tcp://127.0.0.1:*", barrier_timeout_s=0.5,
                                            hold_until_due=False), on_release=released.append)
        procs = [subprocess.Popen([sys.executable, "-m", "stage.core.cluster.null_node", "--node", name, "--frames",
                                   leader.frames_endpoint, "--ready", leader.ready_endpoint, "--frame-log", str(logs),
                                   "--priority", priority],
                                  cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for name in names]
        try:
            deadline = time.monotonic() + JOIN_TIMEOUT_S
            while len(leader.membership.members()) < nodes or not released or released[-1].frame.members != names:
                if time.monotonic() > deadline:
                    raise SystemExit(f"benchmarks.barrier: only {leader.membership.members()} joined")
                leader.step()
            start = len(released)
            counted = 0
            while counted < frames + WARMUP_FRAMES:
                r = leader.step()
                counted += sorted(r.ready) == names
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(30)
            leader.close()
        lines = {n: {x["frame"]: x for x in read_frame_log(logs / f"{n}.frames.jsonl")} for n in names}
    barrier_ms, leader_ms = [], []
    hops: dict[str, list[float]] = {k: [] for k in HOPS}
    together = [r for r in released[start:] if sorted(r.ready) == names][WARMUP_FRAMES:]
    for r in together:
        per_node = [lines[n].get(r.frame.frame) for n in names]
        if any(x is None for x in per_node):
            continue
        barrier_ms.append((max(x["t_release_recv"] for x in per_node) - max(x["t_render_end"] for x in per_node))
                          * 1000.0)
        leader_ms.append((r.t_release - max(m.t_ready for m in r.ready.values())) * 1000.0)
        last = max(r.ready.values(), key=lambda m: m.t_ready)
        received = [x["t_release_recv"] - r.t_release for x in per_node]
        for key, seconds in zip(HOPS, (last.t_ready - last.t_render_end, r.ready_at_s[last.node] - last.t_ready,
                                       r.t_release - r.ready_at_s[last.node], min(received), max(received)),
                                strict=True):
            hops[key].append(seconds * 1000.0)
    return {
        "nodes": nodes, "frames": len(barrier_ms),
        "dropped": sum(len(r.dropped) for r in released[start:]),
        "skipped_frames": leader.counters["skipped"],
        "barrier_ms": _percentiles(barrier_ms), "leader_ms": _percentiles(leader_ms),
        "hops_ms_p50": {k: _percentiles(v)["p50"] for k, v in hops.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.barrier", description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[3, 8])
    parser.add_argument("--frames", type=int, default=600, help="frames measured per node count")
    parser.add_argument("--rate", default="60", help="frame rate (24, 24000/1001, 59.94 ...)")
    parser.add_argument("--priority", nargs="+", choices=PRIORITIES, default=[NORMAL, "realtime"],
                        help="scheduling priorities to measure, one run each (default: normal realtime)")
    args = parser.parse_args(argv)
    from stage.core.config.frame_rate import format_frame_rate, parse_frame_rate

    rate = parse_frame_rate(args.rate)
    results: dict = {}
    for priority in args.priority:
        applied = apply_priority(priority, "benchmarks.barrier", boost=CLOCK_BOOST)
        try:
            runs = {f"nodes_{n}": run(n, args.frames, rate, priority) for n in args.nodes}
        finally:
            reset_priority()
        if priority == NORMAL:
            results.update(runs)
        else:
            results[f"priority_{priority}"] = {"applied": applied, "loadavg_1m": round(os.getloadavg()[0], 2), **runs}
    load = os.getloadavg()
    print(json.dumps({"rate": format_frame_rate(rate), "cpus": os.cpu_count(), "loadavg_1m": round(load[0], 2),
                      **results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
