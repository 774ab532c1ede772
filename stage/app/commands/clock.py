"""``stage clock CONFIG``: the frame clock (leader) of a frame-locked render cluster (docs/cluster.md).

Paces frames at ``cluster.frame_rate``, latches the poses from ``endpoints.pose`` and the live-state revision from
``endpoints.state`` for each frame, and runs the swap barrier on ``cluster.frames`` / ``cluster.ready``.
``--frame-log DIR`` appends one line per released frame to ``DIR/_clock.frames.jsonl`` (node logs sit beside it
as ``DIR/<node>.frames.jsonl``). Endpoints off loopback use CURVE with the stage's keys (``stage keys``; ``--keys``).
SIGINT/SIGTERM stop it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from pathlib import Path

import zmq

from stage.core import argtypes

CLOCK_LOG_NAME = "_clock"
"""Frame-log name of the clock (node names cannot start with ``_``)."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("clock", help="run the frame clock of a frame-locked cluster", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="stage config YAML")
    p.add_argument("--frame-log", type=Path, metavar="DIR", help=f"append DIR/{CLOCK_LOG_NAME}.frames.jsonl")
    p.add_argument("--duration", type=argtypes.seconds, metavar="S", help="stop after S seconds")
    p.add_argument("--frames", type=argtypes.number(1, 1e9, "frames", integer=True), metavar="N",
                   help="stop after N frames")
    p.add_argument("--keys", type=Path, metavar="DIR",
                   help="CURVE keys folder, used for endpoints off loopback (default: $VPSTAGE_KEYS or "
                        "~/.config/vpstage/keys)")
    p.set_defaults(func=cmd_clock)


def clock_record(released) -> dict:
    """A frame-log line of the clock: the frame, who was in the barrier, what was latched (``pose_t``: camera →
    ``[t_sample, t_recv, t_pub]``), when, and the grid it was due on (``grid_offset_ms``, ``phase_lock``)."""
    frame = released.frame
    return {
        "frame": frame.frame, "members": frame.members, "ready": sorted(released.ready), "dropped": released.dropped,
        "state_rev": frame.state_rev, "poses": {c: p.seq for c, p in frame.poses.items()},
        "t_frame": frame.t_frame, "t_latch": frame.t_latch, "t_release": released.t_release,
        "ready_t": {n: [r.t_render_start, r.t_render_end, r.t_ready] for n, r in released.ready.items()},
        "leader": frame.leader,
        "pose_t": {c: [p.t_sample, p.t_recv, p.t_pub] for c, p in frame.poses.items()},
        "grid_offset_ms": round(released.grid_offset_ms, 4), "phase_lock": released.phase_lock,
    }


def cmd_clock(args: argparse.Namespace) -> int:
    from stage.core.cluster.frame_log import FrameLog
    from stage.core.cluster.leader import FrameLeader, LeaderSettings
    from stage.core.config.frame_rate import describe_frame_rate
    from stage.core.config.loader import load_stage_config
    from stage.core.keys import KeysError
    from stage.core.priority import CLOCK_BOOST, apply_priority

    config = load_stage_config(args.config)
    cluster = config.cluster
    apply_priority(cluster.priority, "stage clock", boost=CLOCK_BOOST)
    settings = LeaderSettings.from_config(config)
    settings.keys_dir = args.keys
    frame_log = FrameLog(args.frame_log, CLOCK_LOG_NAME) if args.frame_log else None
    if args.verbose == 0:
        logging.getLogger().setLevel(logging.INFO)
    stop = {"now": False}

    def on_signal(signum: int, _frame: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        leader = FrameLeader(settings, on_release=(lambda r: frame_log.write(clock_record(r))) if frame_log else None)
    except KeysError as exc:
        print(f"stage clock: error: {exc}", file=sys.stderr)
        return 2
    except zmq.ZMQError as exc:
        print(f"stage clock: error: cannot bind {cluster.frames} / {cluster.ready}: {exc}", file=sys.stderr)
        return 2
    print(f"stage clock: {describe_frame_rate(cluster.frame_rate)}, frames on {leader.frames_endpoint}, ready on "
          f"{leader.ready_endpoint}", file=sys.stderr, flush=True)
    end = time.monotonic() + args.duration if args.duration else None
    try:
        leader.run(lambda: stop["now"] or (end is not None and time.monotonic() >= end), max_frames=args.frames)
    finally:
        leader.close()
        if frame_log is not None:
            frame_log.close()
    print(f"stage clock: stopped: {leader.counters}", file=sys.stderr, flush=True)
    return 0
