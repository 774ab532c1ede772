"""Picture under motion: how far the pose each frame was rendered from is from where the camera truly was when the
frame was presented, with a simulated dolly at 1 m/s.

    python -m benchmarks.picture_motion [--nodes 1 3] [--seconds 10] [--render]

The demo stage's camera rides a simulated dolly (side to side, ``x = 2 m · sin(t / 2 s)``: 1 m/s through the middle,
0.5 m/s² at the ends, aimed at the main wall) whose move is a function of Unix time (``time_base: unix``), so the
true pose at any instant is :meth:`tracking.simulate.SimulatedMove.at` of it, on the same clock as the nodes'
``t_present``. The tracking daemon, the frame clock at 60 fps and 1 or 3 render nodes (null nodes; ``--render``:
headless ``stage node``) run as processes (:mod:`benchmarks.cluster_run`), three times per node count:

1. ``measure`` — ``latency.mode: none``: the tracking-to-present latency (sample → present p50), as ``stage status``
   shows it to an operator;
2. ``predict`` — ``latency.mode: predict`` with ``ms`` set to that measurement (what an operator does with it);
3. ``present`` — ``latency.mode: present``: the frame clock predicts each frame's pose to that frame's own due time.

Per presented frame (from the frame logs' ``pose_position_m``/``pose_rotation_deg``): the position error in mm and
the rotation error in degrees against the true pose at ``t_present``, and the same for the pose as sampled (what the
frame would have shown without prediction). ``horizon_error_ms``: the prediction horizon used minus the true
sample → present time; at 1 m/s every millisecond of it is a millimetre. ``late_present_mm``: how far the camera
moved between the frame's due time and its present (the part no prediction made at the latch can know). Prints one
JSON object; the target is a p99 under 2 mm with prediction.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Iterable
from typing import Any

import numpy as np

from benchmarks.cluster_run import add_show_arguments, percentile, run_show
from stage.core.config.sources import SimulatedSource
from stage.core.pose import rotation_from_ptr
from stage.core.quaternion import rotation_angle_deg
from tracking.simulate import SimulatedMove

CAMERA = "cam1"
DOLLY = {"name": "sim", "kind": "simulated", "move": "dolly", "rate_hz": 60, "center_m": [0.0, 0.5, 1.6],
         "target_m": [0.0, 4.0, 1.5], "extent_m": 2.0, "period_s": 4.0 * math.pi, "time_base": "unix"}
"""Peak speed ``extent · 2π / period`` = 1 m/s."""
TARGET_P99_MM = 2.0
FAST_M_S = 0.9
"""Frames where the dolly moves at least this fast are also reported on their own (``fast``)."""


def pose_error(position_m: Iterable[float], rotation_deg: Iterable[float], true_position_m: Iterable[float],
               true_rotation_deg: Iterable[float]) -> tuple[float, float]:
    """``(position error mm, rotation error degrees)`` of a rendered pose against the true one: the distance between
    the positions, and the angle of the rotation between the orientations (about whichever axis)."""
    distance_m = float(np.linalg.norm(np.subtract(list(position_m), list(true_position_m))))
    angle = rotation_angle_deg(rotation_from_ptr(*rotation_deg), rotation_from_ptr(*true_rotation_deg))
    return distance_m * 1000.0, angle


def speed_m_s(move: SimulatedMove, t: float, dt: float = 1e-3) -> float:
    """The simulated camera's speed at ``t`` (central difference)."""
    a, b = move.at(t - dt).position_m, move.at(t + dt).position_m
    return float(np.linalg.norm(np.subtract(b, a))) / (2.0 * dt)


def frame_errors(lines: Iterable[dict[str, Any]], move: SimulatedMove, camera: str = CAMERA,
                 horizon_ms: float | None = None) -> dict[str, list[float]]:
    """Per presented frame (frame-log lines) of ``camera``, against the true pose at ``t_present`` unless said:

    * ``mm``/``deg`` — the rendered pose;
    * ``unpredicted_mm``/``unpredicted_deg`` — the pose as sampled (the true pose at ``t_sample``);
    * ``at_due_mm`` — the rendered pose against the true pose at the frame's due time ``t_frame``: the prediction's
      own error, as if the frame were presented exactly when due;
    * ``late_present_mm`` — the true pose at ``t_frame``: what even an exact prediction to the due time misses when
      the present comes late;
    * ``sample_to_present_ms``, ``present_after_due_ms`` (``t_present − t_frame``), ``speed_m_s``;
    * with a fixed ``horizon_ms`` (``latency.mode: predict``): ``horizon_error_ms`` = ``horizon_ms`` − sample →
      present.

    Pure."""
    keys = ("mm", "deg", "unpredicted_mm", "unpredicted_deg", "at_due_mm", "late_present_mm", "sample_to_present_ms",
            "present_after_due_ms", "speed_m_s", "horizon_error_ms")
    out: dict[str, list[float]] = {k: [] for k in keys}
    for line in lines:
        if camera not in line.get("pose_position_m", {}):
            continue
        t_present, t_sample = line["t_present"], line["pose_t"][camera][0]
        true, sampled = move.at(t_present), move.at(t_sample)
        rendered_position, rendered_rotation = line["pose_position_m"][camera], line["pose_rotation_deg"][camera]
        mm, deg = pose_error(rendered_position, rendered_rotation, true.position_m, true.rotation_deg)
        mm0, deg0 = pose_error(sampled.position_m, sampled.rotation_deg, true.position_m, true.rotation_deg)
        due = move.at(line["t_frame"])
        late_mm = pose_error(due.position_m, due.rotation_deg, true.position_m, true.rotation_deg)[0]
        at_due_mm = pose_error(rendered_position, rendered_rotation, due.position_m, due.rotation_deg)[0]
        age_ms = (t_present - t_sample) * 1000.0
        for key, value in (("mm", mm), ("deg", deg), ("unpredicted_mm", mm0), ("unpredicted_deg", deg0),
                           ("at_due_mm", at_due_mm), ("late_present_mm", late_mm),
                           ("sample_to_present_ms", age_ms),
                           ("present_after_due_ms", (t_present - line["t_frame"]) * 1000.0),
                           ("speed_m_s", speed_m_s(move, t_present))):
            out[key].append(value)
        if horizon_ms is not None:
            out["horizon_error_ms"].append(horizon_ms - age_ms)
    return out


def summary(errors: dict[str, list[float]]) -> dict[str, Any]:
    """p50/p99/max of each error, over every frame and over the frames at :data:`FAST_M_S` or faster."""
    def stats(values: list[float], digits: int = 3) -> dict[str, float | None]:
        return {"p50": percentile(values, 50, digits), "p99": percentile(values, 99, digits),
                "max": round(max(values), digits) if values else None}

    fast = [i for i, v in enumerate(errors["speed_m_s"]) if v >= FAST_M_S]
    out: dict[str, Any] = {"frames": len(errors["mm"]), "fast_frames": len(fast),
                           "speed_m_s_p50": percentile(errors["speed_m_s"], 50),
                           "sample_to_present_ms": stats(errors["sample_to_present_ms"]),
                           "present_after_due_ms": stats(errors["present_after_due_ms"])}
    for key in ("mm", "deg", "unpredicted_mm", "unpredicted_deg", "at_due_mm", "late_present_mm"):
        out[key] = stats(errors[key], 4 if key.endswith("deg") else 3)
    out["fast_mm"] = stats([errors["mm"][i] for i in fast])
    if errors["horizon_error_ms"]:
        out["horizon_error_ms"] = stats(errors["horizon_error_ms"])
        out["horizon_error_ms"]["min"] = round(min(errors["horizon_error_ms"]), 3)
    out["target_met"] = out["mm"]["p99"] is not None and out["mm"]["p99"] < TARGET_P99_MM
    return out


def _with_latency(mode: str, ms: float):
    def edit(data: dict) -> None:
        data["sources"] = [dict(DOLLY)]
        data["cameras"][0]["latency"] = {"mode": mode, "ms": ms}

    return edit


def _run(nodes: int, seconds: float, kind: str, mode: str, ms: float, horizon_ms: float | None = None,
         priority: str = "normal") -> dict:
    """One show with the camera's ``latency`` at ``mode``/``ms``: :func:`summary` of its frames, and the share of
    them the clock latched while its phase lock held."""
    lines, clock = run_show(nodes, seconds, kind, edit=_with_latency(mode, ms), priority=priority)
    out = summary(frame_errors(lines, SimulatedMove(SimulatedSource(**DOLLY)), horizon_ms=horizon_ms))
    measured = [clock[x["frame"]] for x in lines if x["frame"] in clock]
    out["phase_locked_share"] = (round(sum(c.get("phase_lock") == "locked" for c in measured) / len(measured), 3)
                                 if measured else None)
    return out


def run(nodes: int, seconds: float, kind: str, priority: str = "normal") -> dict[str, Any]:
    measured = _run(nodes, seconds, kind, "none", 0.0, priority=priority)
    ms = round(measured["sample_to_present_ms"]["p50"] or 0.0, 1)
    return {"nodes": nodes, "kind": kind, "measured_latency_ms": ms, "measure": measured,
            "predict": _run(nodes, seconds, kind, "predict", ms, horizon_ms=ms, priority=priority),
            "present": _run(nodes, seconds, kind, "present", 0.0, priority=priority)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.picture_motion", description=__doc__.splitlines()[0])
    add_show_arguments(parser)
    args = parser.parse_args(argv)
    kind = "render" if args.render else "null"
    results = {f"nodes_{n}": run(n, args.seconds, kind, args.priority) for n in args.nodes}
    print(json.dumps({"rate": "60", "dolly_peak_m_s": 1.0, "target_p99_mm": TARGET_P99_MM, "cpus": os.cpu_count(),
                      "priority": args.priority,
                      "loadavg_1m": round(os.getloadavg()[0], 2), **results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
