"""``stage bench``: one command, one table or JSON, comparisons as ratios of the same run (no timing asserts)."""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks.__main__ import Row, format_table, rows
from tests.procs import REPO


def test_rows_make_each_comparison_a_ratio_of_the_same_run() -> None:
    results = {
        "tracking_latency": {"daemon": {"lost": 0, "sent": 100, "end_to_end": {"p50_us": 400.0, "p99_us": 800.0},
                                        "daemon_added": {"p50_us": 200.0, "p99_us": 500.0}},
                             "bare_relay": {"end_to_end": {"p50_us": 200.0, "p99_us": 400.0}}},
        "render_frame": {"curved_vs_flat": {"curved": {"ms_median": 3.0}, "flat": {"ms_median": 3.0}}},
        "frame_budget": {"stages": [{"name": "demo", "wall_pixels": 1000, "frame": {"ms_median": 12.0},
                                     "plain": {"ms_median": 8.0}, "walls": {"ms_median": 6.0},
                                     "one_fetch": {"ms_median": 2.0}}]},
        "barrier": {"error": ["barrier: no nodes"]},
        "ocio_wall_pass": {"cases": {"builtin-srgb": {"ms_median": 2.0, "baseline": "builtin-srgb"},
                                     "ocio-srgb-aces2": {"ms_median": 3.0, "baseline": "builtin-srgb"}}},
    }
    table = rows(results)
    ratios = {r.measure: r.ratio for r in table if r.ratio is not None}
    assert ratios == {"end-to-end latency p50": 2.0, "end-to-end latency p99": 2.0,
                      "ICVFX frame, demo (1000 wall px)": 1.5, "wall pass, demo": 3.0,
                      "curved wall (28 sections)": 1.0,
                      "wall pass ocio-srgb-aces2": 1.5}
    assert Row("x", "m", 1.0, "ms").ratio is None
    text = format_table(table)
    assert "bare UDP→ZeroMQ relay 200 µs" in text and "FAILED: barrier: no nodes" in text


def test_stage_bench_runs_the_benchmarks_runner() -> None:
    run = subprocess.run([sys.executable, "-m", "stage.app.cli", "bench", "--quick", "--only", "osc_loop", "--json"],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    osc = doc["osc_loop"]
    assert osc["received"] == osc["messages"] and osc["applied"] + osc["coalesced"] == osc["messages"]
    row = next(r for r in doc["table"] if r["benchmark"] == "osc_loop" and r["baseline"])
    assert row["ratio"] == round(row["value"] / row["baseline_value"], 2)
    table = subprocess.run([sys.executable, "-m", "stage.app.cli", "bench", "--quick", "--only", "osc_loop"],
                           cwd=REPO, capture_output=True, text=True, timeout=300)
    assert table.returncode == 0 and table.stdout.splitlines()[0].split()[:2] == ["benchmark", "measure"]


def test_picture_motion_rows_compare_each_prediction_with_the_same_frames_unpredicted() -> None:
    run = {"nodes": 1, "measured_latency_ms": 20.1, "measure": {"mm": {"p99": 22.0}, "unpredicted_mm": {"p99": 22.0}},
           "predict": {"mm": {"p99": 2.5}, "unpredicted_mm": {"p99": 20.0}},
           "present": {"mm": {"p99": 1.0}, "unpredicted_mm": {"p99": 25.0}}}
    table = [r for r in rows({"picture_motion": {"nodes_1": run}}) if r.benchmark == "picture_motion"]
    assert [(r.value, r.ratio) for r in table] == [(22.0, None), (2.5, 0.12), (1.0, 0.04)]
    assert "predict 20.1 ms (measured), 1 nodes" in table[1].measure


def test_outer_cube_rows_show_the_baseline_shaders_only_when_measured() -> None:
    case = {"config": "configs/demo.yaml", "scene": "scenes/calibration.yaml", "resolution_scale": 0.25,
            "face_px": 128, "ms_median": 6.0}
    plain = rows({"outer_cube": {"cases": [case]}})
    assert [(r.measure, r.value, r.ratio) for r in plain] == [
        ("outer cube re-render, demo + calibration at 0.25 (128 px faces)", 6.0, None)]
    compared = rows({"outer_cube": {"cases": [{**case, "baseline_ms_median": 5.0, "ratio": 1.2}]}})
    assert compared[0].baseline == "baseline shaders" and compared[0].ratio == 1.2
