"""``stage demo``: the demo stage (``configs/demo.yaml``) running for a few seconds, with pictures and numbers.

The whole stage comes up in this process (tracking daemon with a simulated camera move, render node, live state,
OSC and control, all on free loopback ports so a running stage is not disturbed), in windows where a display
exists and headless otherwise; then ``out/demo/`` holds preview frames, a contact sheet and a summary of the
measured fps and latency (:mod:`stage.app.orchestrator.demo_run`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stage.core.argtypes import output_folder, seconds

REPO = Path(__file__).resolve().parents[3]
DEMO_CONFIG = REPO / "configs" / "demo.yaml"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the demo stage for a few seconds; previews and measurements in out/demo/")
    p.add_argument("--config", default=str(DEMO_CONFIG), help="stage config (default: the demo stage)")
    p.add_argument("--duration", type=seconds, default=6.0, metavar="SEC",
                   help="seconds of rendering (default 6; start-up and pictures take a few more)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--headless", dest="display", action="store_const", const="headless",
                      help="render offscreen (default: a window when a display exists)")
    mode.add_argument("--windowed", dest="display", action="store_const", const="windowed")
    p.set_defaults(display="auto")
    p.add_argument("--out", type=output_folder, default=Path("out/demo"), metavar="DIR",
                   help="output folder (out/demo)")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from stage.app.orchestrator.demo_run import DemoError, run_demo, summary_text
    from stage.app.orchestrator.stage_up import UpError
    from stage.app.orchestrator.status_text import StatusOutput

    output = StatusOutput(sys.stderr, verbose=args.verbose, level_default="WARNING")
    try:
        summary = run_demo(Path(args.config), args.duration, args.display, args.out, on_status=output.status)
    except (DemoError, UpError) as exc:
        output.close()
        print(f"stage demo: {exc}", file=sys.stderr)
        return 1
    finally:
        output.close()
    print(summary_text(summary))
    return 0 if summary["ok"] else 1
