"""``stage node CONFIG --node NAME``: run one render node on this machine; it joins the show (docs/cluster.md).

With ``cluster.frame_lock`` the node follows the frame clock (``stage clock``, or ``stage up``'s) on
``cluster.frames``/``cluster.ready``; otherwise it paces itself. ``--frame-log DIR`` appends one line per presented
frame to ``DIR/<node>.frames.jsonl``. The same as ``python -m renderer`` (which checks the node name and exits 2 for
a bad config); run it from any working directory.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from stage import argtypes


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("node", help="run a render node on this machine (joins the show)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="stage config YAML")
    p.add_argument("--node", required=True, help="node name (nodes[].name in the config)")
    p.add_argument("--scene", help="scene YAML (default: the config's scene)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--display", choices=("auto", "headless", "windowed"), default="auto",
                      help="windows when a display exists (auto, the default), or force one")
    mode.add_argument("--headless", dest="display", action="store_const", const="headless")
    mode.add_argument("--windowed", dest="display", action="store_const", const="windowed")
    p.add_argument("--frame-log", type=Path, metavar="DIR", help="append DIR/<node>.frames.jsonl")
    p.add_argument("--duration", type=argtypes.seconds, metavar="S", help="stop after S seconds")
    p.set_defaults(func=cmd_node)


def cmd_node(args: argparse.Namespace) -> int:
    from renderer.node import main as node_main

    argv = [args.config, "--node", args.node, "--display", args.display]
    for flag, value in (("--scene", args.scene), ("--frame-log", args.frame_log), ("--duration", args.duration)):
        if value is not None:
            argv += [flag, str(value)]
    if args.verbose:
        argv.append("-v")
    return node_main(argv)
