"""A render node that renders nothing: the frame lock alone, for the barrier benchmark and the cluster tests.

    python -m stage.core.cluster.null_node --node n1 --frames tcp://127.0.0.1:5561 --ready tcp://127.0.0.1:5562 \\
        [--frame-log DIR] [--render-ms MS] [--duration S] [--priority normal|high|realtime]

It follows the leader's frames exactly as a render node does (:class:`~stage.core.cluster.node_loop.LockedLoop`),
"renders" for ``--render-ms`` (a sleep), presents at the release and writes the frame log. SIGINT/SIGTERM stop it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from pathlib import Path

from stage.core import argtypes
from stage.core.cluster.follower import FrameFollower
from stage.core.cluster.frame_log import FrameLog
from stage.core.cluster.node_loop import LockedLoop, Rendered, rendered_as_sent
from stage.core.priority import PRIORITIES, apply_priority
from stage.core.wire.frame import FrameMessage

log = logging.getLogger("stage.core.cluster.null_node")


def build_parser() -> argparse.ArgumentParser:
    p = argtypes.ArgumentParser(prog="python -m stage.core.cluster.null_node", description=__doc__.splitlines()[0])
    p.add_argument("--node", required=True, help="node name")
    p.add_argument("--frames", required=True, metavar="ENDPOINT", help="the leader's frames endpoint")
    p.add_argument("--ready", required=True, metavar="ENDPOINT", help="the leader's ready endpoint")
    p.add_argument("--frame-log", type=Path, metavar="DIR", help="append DIR/<node>.frames.jsonl")
    p.add_argument("--render-ms", type=argtypes.number(0.0, 1000.0, "milliseconds"), default=0.0,
                   help="pretend to render this long per frame")
    p.add_argument("--duration", type=argtypes.seconds, metavar="S", help="stop after S seconds")
    p.add_argument("--priority", choices=PRIORITIES, default="normal",
                   help="scheduling priority (stage.core.priority; cluster.priority of a real node)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = {"now": False}

    def on_signal(signum: int, _frame: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    render_s = args.render_ms / 1000.0
    apply_priority(args.priority, f"null node {args.node}")

    def render(frame: FrameMessage) -> Rendered:
        if render_s:
            time.sleep(render_s)
        return rendered_as_sent(frame)

    follower = FrameFollower(args.node, args.frames, args.ready)
    frame_log = FrameLog(args.frame_log, args.node) if args.frame_log else None
    loop = LockedLoop(follower, render, lambda: None, frame_log)
    end = time.monotonic() + args.duration if args.duration else None
    log.info("null node %s following %s", args.node, args.frames)
    try:
        loop.run(lambda: stop["now"] or (end is not None and time.monotonic() >= end))
    finally:
        follower.close()
        if frame_log is not None:
            frame_log.close()
    log.info("null node %s: %s", args.node, loop.counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
