"""Run every benchmark; print one JSON object keyed by benchmark name, or one table (``stage bench``).

    python -m benchmarks [--quick] [--only NAME ...] [--format json|table]
    stage bench [--quick] [--only NAME ...] [--json]

Each benchmark also runs alone: ``python -m benchmarks.tracking_latency``, ``python -m benchmarks.render_frame``,
``python -m benchmarks.frame_budget``, ``python -m benchmarks.ocio_wall_pass``, ``python -m benchmarks.osc_loop``,
``python -m benchmarks.barrier``, ``python -m benchmarks.frame_latency``, ``python -m benchmarks.outer_cube``,
``python -m benchmarks.picture_motion``. ``python -m benchmarks.ocio_transform`` (the output transform alone, and
what baking it into a LUT loses) runs only alone: it is a study, not a figure for the table.
Every comparison in the table is a ratio of two figures measured in the same run (never against a number from
another day). Numbers move when other work shares the cores: run on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCHMARKS = {
    "tracking_latency": (["--seconds", "10"], ["--seconds", "4"]),
    "render_frame": (["--runs", "100"], ["--runs", "20", "--latency-seconds", "2"]),
    "frame_budget": (["--runs", "60"], ["--runs", "15"]),
    "ocio_wall_pass": (["--runs", "80"], ["--runs", "15", "--size", "512x256"]),
    "osc_loop": (["--messages", "20000"], ["--messages", "4000"]),
    "barrier": (["--frames", "600"], ["--frames", "150"]),
    "frame_latency": (["--seconds", "10"], ["--seconds", "3"]),
    "outer_cube": (["--runs", "40"], ["--runs", "10"]),
    "picture_motion": (["--seconds", "10"], ["--seconds", "3"]),
}


@dataclass(frozen=True)
class Row:
    """One line of the table: a measure, and for a comparison the baseline measured in the same run and the
    ratio ``value / baseline``."""

    benchmark: str
    measure: str
    value: float | None
    unit: str
    baseline: str = ""
    baseline_value: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline_value:
            return None
        return round(self.value / self.baseline_value, 2)


def _get(doc: Any, *path: str | int) -> Any:
    for key in path:
        try:
            doc = doc[key]
        except (KeyError, IndexError, TypeError):
            return None
    return doc


def rows(results: dict[str, Any]) -> list[Row]:
    """The table of a run: the headline measures of each benchmark and every comparison as a ratio. Pure."""
    out: list[Row] = []
    t = results.get("tracking_latency")
    if t is not None and "error" not in t:
        b = "tracking_latency"
        out.append(Row(b, "lost valid datagrams", _get(t, "daemon", "lost"), "of " + str(_get(t, "daemon", "sent"))))
        for p in ("p50", "p99"):
            out.append(Row(b, f"daemon-added latency {p}", _get(t, "daemon", "daemon_added", f"{p}_us"), "µs"))
        for p in ("p50", "p99"):
            out.append(Row(b, f"end-to-end latency {p}", _get(t, "daemon", "end_to_end", f"{p}_us"), "µs",
                           "bare UDP→ZeroMQ relay", _get(t, "bare_relay", "end_to_end", f"{p}_us")))
        out.append(Row(b, "daemon CPU", _get(t, "daemon", "cpu_pct_of_one_core"), "% of a core"))
        for name, label in (("reference_sender_json_seq1.bin", "JSON"), ("reference_sender_cbor_seq2.bin", "CBOR")):
            out.append(Row(b, f"decode one datagram ({label})", _get(t, "decode", name, "decode_us_median"), "µs"))
    r = results.get("render_frame")
    if r is not None and "error" not in r:
        b = "render_frame"
        out.append(Row(b, "curved wall (28 sections)", _get(r, "curved_vs_flat", "curved", "ms_median"), "ms",
                       "flat wall, same pixels", _get(r, "curved_vs_flat", "flat", "ms_median")))
        out.append(Row(b, "Python per frame, 8 outputs", _get(r, "python_8_outputs", "main_thread_cpu_ms_median"),
                       "ms"))
        out.append(Row(b, "pose → frame p50", _get(r, "pose_to_frame", "ms_p50"), "ms"))
        out.append(Row(b, "pose → frame p99", _get(r, "pose_to_frame", "ms_p99"), "ms"))
    f = results.get("frame_budget")
    if f is not None and "error" not in f:
        b = "frame_budget"
        for case in f.get("stages", []):
            name, px = case.get("name"), case.get("wall_pixels")
            out.append(Row(b, f"ICVFX frame, {name} ({px} wall px)", _get(case, "frame", "ms_median"), "ms",
                           "plain render, same pixels", _get(case, "plain", "ms_median")))
            out.append(Row(b, f"wall pass, {name}", _get(case, "walls", "ms_median"), "ms",
                           "one-fetch pass, same pixels", _get(case, "one_fetch", "ms_median")))
    c = results.get("ocio_wall_pass")
    if c is not None and "error" not in c:
        b = "ocio_wall_pass"
        cases = c.get("cases", {})
        for name, case in cases.items():
            if case.get("baseline") == name:
                continue
            base = cases.get(case.get("baseline"), {})
            out.append(Row(b, f"wall pass {name}", case.get("ms_median"), "ms", f"built-in {case.get('baseline')}",
                           base.get("ms_median")))
    o = results.get("osc_loop")
    if o is not None and "error" not in o:
        b = "osc_loop"
        out.append(Row(b, "OSC message handled (parse, check, apply)", o.get("us_per_message"), "µs",
                       "bare recvfrom of the same datagrams", o.get("bare_us_per_message")))
        out.append(Row(b, "longest single batch (loop stall)", o.get("max_batch_ms"), "ms"))
        out.append(Row(b, "coalesced", o.get("coalesced"), f"of {o.get('messages')}"))
    g = results.get("barrier")
    if g is not None and "error" not in g:
        for _key, run in sorted((k, v) for k, v in g.items() if k.startswith("nodes_")):
            n = run.get("nodes")
            for p in ("p50", "p99"):
                out.append(Row("barrier", f"swap barrier per frame, {n} null nodes, {p}", _get(run, "barrier_ms", p),
                               "ms"))
    lat = results.get("frame_latency")
    if lat is not None and "error" not in lat:
        for _key, run in sorted((k, v) for k, v in lat.items() if k.startswith("nodes_")):
            n = run.get("nodes")
            for p in ("p50", "p99"):
                out.append(Row("frame_latency", f"pose arrival → present, {n} null nodes, {p}",
                               _get(run, "arrival_to_present_ms", p), "ms", "one frame period",
                               lat.get("frame_period_ms")))
    cube = results.get("outer_cube")
    if cube is not None and "error" not in cube:
        for case in cube.get("cases", []):
            where = f"{Path(case['config']).stem} + {Path(case['scene']).stem} at {case['resolution_scale']:g}"
            out.append(Row("outer_cube", f"outer cube re-render, {where} ({case['face_px']} px faces)",
                           case.get("ms_median"), "ms", "baseline shaders" if "ratio" in case else "",
                           case.get("baseline_ms_median")))
    out += _motion_rows(results.get("picture_motion"))
    for name, doc in results.items():
        if isinstance(doc, dict) and "error" in doc:
            out.append(Row(name, "FAILED: " + " ".join(doc["error"]), None, ""))
    return out


def _motion_rows(doc: Any) -> list[Row]:
    """Picture under motion: the p99 pose error of each prediction mode against the same frames' error without
    prediction (each run's own frames)."""
    if doc is None or "error" in doc:
        return []
    out = []
    for _key, run in sorted((k, v) for k, v in doc.items() if k.startswith("nodes_")):
        n = run.get("nodes")
        ms = run.get("measured_latency_ms")
        for mode, label in (("measure", "no prediction"), ("predict", f"predict {ms} ms (measured)"),
                            ("present", "predict to present (clock)")):
            baseline = ("", None) if mode == "measure" else ("same frames unpredicted",
                                                               _get(run, mode, "unpredicted_mm", "p99"))
            out.append(Row("picture_motion", f"pose error p99 at 1 m/s, {label}, {n} nodes",
                           _get(run, mode, "mm", "p99"), "mm", *baseline))
    return out


def format_table(table: list[Row]) -> str:
    """Fixed-width text: benchmark, measure, value, baseline (same run), ratio."""
    lines = [("benchmark", "measure", "value", "baseline (same run)", "ratio")]
    for row in table:
        value = "" if row.value is None else f"{row.value:g} {row.unit}".strip()
        base = f"{row.baseline} {row.baseline_value:g} {row.unit}" if row.baseline_value is not None else ""
        lines.append((row.benchmark, row.measure, value, base, "" if row.ratio is None else f"{row.ratio:.2f}"))
    widths = [max(len(line[i]) for line in lines) for i in range(5)]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(text)


def run(names: list[str], quick: bool) -> tuple[dict[str, Any], bool]:
    """Run the benchmarks ``names`` one after the other (each in its own process); ``(results, all_ok)``."""
    results: dict[str, Any] = {}
    ok = True
    for name in names:
        full, short = BENCHMARKS[name]
        print(f"running {name} ...", file=sys.stderr, flush=True)
        proc = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *(short if quick else full)],
                              capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            ok = False
            results[name] = {"error": proc.stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]}
            continue
        results[name] = json.loads(proc.stdout)
    return results, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (less stable numbers)")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append", help="run only these")
    parser.add_argument("--format", choices=("json", "table"), default="json", help="output (default json)")
    args = parser.parse_args(argv)
    names = [n for n in BENCHMARKS if not args.only or n in args.only]
    results, ok = run(names, args.quick)
    if args.format == "table":
        print(format_table(rows(results)))
    else:
        print(json.dumps({**results, "table": [{**row.__dict__, "ratio": row.ratio} for row in rows(results)]},
                         indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
