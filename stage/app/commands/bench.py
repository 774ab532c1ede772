"""``stage bench``: every benchmark of the source checkout in one command (the ``benchmarks/`` runner), one table
or ``--json``; each comparison is a ratio of two figures measured in the same run (docs/performance.md)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

EXIT_FAILURE = 1
CHECKOUT = Path(__file__).resolve().parents[3]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="run every benchmark: one table (or --json), comparisons as same-run ratios")
    p.add_argument("--quick", action="store_true", help="shorter runs (less stable numbers)")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="run only this benchmark (render_frame, frame_budget, barrier, ...); repeatable")
    p.add_argument("--json", action="store_true", help="every result as JSON, with the table rows")
    p.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    runner = CHECKOUT / "benchmarks" / "__main__.py"
    if not runner.is_file():
        print(f"stage bench: error: no benchmarks/ in {CHECKOUT} (run it from a source checkout)", file=sys.stderr)
        return EXIT_FAILURE
    argv = [sys.executable, "-m", "benchmarks", "--format", "json" if args.json else "table"]
    argv += ["--quick"] if args.quick else []
    for name in args.only or []:
        argv += ["--only", name]
    return subprocess.run(argv, cwd=CHECKOUT).returncode
