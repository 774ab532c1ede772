"""``stage track``: the tracking daemon (see :mod:`tracking.cli`)."""

from __future__ import annotations

import argparse
import logging


def register(sub: argparse._SubParsersAction) -> None:
    from tracking.cli import __doc__ as doc
    from tracking.cli import add_arguments

    p = sub.add_parser("track", help="run the tracking daemon", description=doc,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    p.set_defaults(func=cmd_track)


def cmd_track(args: argparse.Namespace) -> int:
    from tracking.cli import run

    if args.verbose == 0:  # the daemon's status lines are its output
        logging.getLogger().setLevel(logging.INFO)
    return run(args)
