"""Run every benchmark and print one JSON object keyed by benchmark name (``make bench``).

    python -m benchmarks [--quick]

Each benchmark also runs alone: ``python -m benchmarks.tracking_latency``, ``python -m benchmarks.render_frame``,
``python -m benchmarks.raster_floor``, ``python -m benchmarks.barrier``, ``python -m benchmarks.frame_latency``.
Numbers move when other work shares the cores: run on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

BENCHMARKS = {
    "tracking_latency": (["--seconds", "10"], ["--seconds", "4"]),
    "render_frame": (["--runs", "100"], ["--runs", "20", "--latency-seconds", "2"]),
    "raster_floor": (["--runs", "200"], ["--runs", "50"]),
    "barrier": (["--frames", "600"], ["--frames", "150"]),
    "frame_latency": (["--seconds", "10"], ["--seconds", "3"]),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (less stable numbers)")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append", help="run only these")
    args = parser.parse_args(argv)
    results = {}
    failed = False
    for name, (full, quick) in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        proc = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *(quick if args.quick else full)],
                              capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            failed = True
            results[name] = {"error": proc.stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]}
            continue
        results[name] = json.loads(proc.stdout)
    print(json.dumps(results, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
