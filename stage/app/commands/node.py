"""``stage node CONFIG --node NAME [options]``: run one render node on this machine; it joins the show
(docs/cluster.md).

With ``cluster.frame_lock`` the node follows the frame clock (``stage clock``) on ``cluster.frames`` and
``cluster.ready``; otherwise it paces itself. Takes every option of ``python -m renderer`` (``--headless``,
``--frame-log DIR`` — one line per presented frame in ``DIR/<node>.frames.jsonl`` —, ``--scene``, ``--duration``
...; ``stage node CONFIG --node NAME --help`` lists them) and runs from any working directory.
"""

from __future__ import annotations

import argparse
import logging


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("node", help="run a render node on this machine (joins the show)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="CONFIG --node NAME ...",
                   help="the arguments of python -m renderer")
    p.set_defaults(func=cmd_node)


def cmd_node(args: argparse.Namespace) -> int:
    from renderer.node import main as node_main

    if args.verbose == 0:  # a long-running node says what it does: started, in the barrier, holding, stopped
        for name in ("renderer", "stage"):  # not third-party chatter (PyOpenGL's accelerate notice)
            logging.getLogger(name).setLevel(logging.INFO)
    return node_main(args.args)
