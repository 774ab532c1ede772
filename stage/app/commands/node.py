"""``stage node CONFIG --node NAME [options]``: run one render node on this machine; it joins the show
(docs/cluster.md).

With ``cluster.frame_lock`` the node follows the frame clock (``stage clock``) on ``cluster.frames`` and
``cluster.ready``; otherwise it paces itself. Takes every option of ``python -m renderer`` (``--headless``,
``--frame-log DIR`` — one line per presented frame in ``DIR/<node>.frames.jsonl`` —, ``--scene``, ``--duration``
...; ``stage node CONFIG --node NAME --help`` lists them) and runs from any working directory.

``--systemd-unit`` prints, instead of running the node, the systemd unit ``vpstage-node@.service`` that runs this
same command line on a node machine (``--node %i``, paths absolute; ``User=`` ``--unit-user`` or you,
``WorkingDirectory=`` ``--unit-dir`` or this installation's folder, ``Environment=VPSTAGE_KEYS=`` the keys folder
this command would use).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from pathlib import Path

from stage.core import argtypes


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("node", help="run a render node on this machine (joins the show)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="CONFIG --node NAME ...",
                   help="the arguments of python -m renderer, and --systemd-unit [--unit-user USER] [--unit-dir DIR]")
    p.set_defaults(func=cmd_node)


def _unit_parser() -> argparse.ArgumentParser:
    p = argtypes.ArgumentParser(prog="stage node", add_help=False, allow_abbrev=False)
    p.add_argument("--systemd-unit", action="store_true")
    p.add_argument("--unit-user", metavar="USER")
    p.add_argument("--unit-dir", type=Path, metavar="DIR")
    return p


def print_unit(unit: argparse.Namespace, node_args: list[str]) -> int:
    """Print the unit of ``node_args`` (checked as ``python -m renderer`` would: options, config, node name)."""
    from renderer.node import build_parser
    from stage.app.commands.node_unit import UnitSettings, node_command, stage_executable, systemd_unit
    from stage.core.config.errors import ConfigError, Problem
    from stage.core.config.loader import load_stage_config
    from stage.core.keys import ENV, default_dir

    parser = build_parser()
    parser.prog = "stage node"
    parsed = parser.parse_args(node_args)
    config = load_stage_config(Path(parsed.config))  # ConfigError: file:line lines, exit 2
    if parsed.node not in {n.name for n in config.nodes}:
        known = ", ".join(n.name for n in config.nodes) or "none"
        raise ConfigError("--node", [Problem("", f"unknown render node {parsed.node!r} (nodes: {known})")])
    cwd = Path.cwd()
    environment = {"PYTHONUNBUFFERED": "1", ENV: str((cwd / default_dir()).resolve())}
    if parsed.display != "headless":  # a window needs the node machine's display
        environment["DISPLAY"] = os.environ.get("DISPLAY") or ":0"
    settings = UnitSettings(user=unit.unit_user or getpass.getuser(),
                            working_directory=(cwd / (unit.unit_dir or Path(sys.prefix).parent)).resolve(),
                            environment=environment)
    value_options = {o for a in parser._actions if a.nargs != 0 for o in a.option_strings}
    command = [*stage_executable(), "node", *node_command(node_args, value_options, cwd)]
    sys.stdout.write(systemd_unit(command, settings, parsed.node))
    return 0


def cmd_node(args: argparse.Namespace) -> int:
    from renderer.node import main as node_main

    unit, node_args = _unit_parser().parse_known_args(args.args)
    if unit.systemd_unit:
        return print_unit(unit, node_args)
    if unit.unit_user or unit.unit_dir:
        print("stage node: error: --unit-user and --unit-dir go with --systemd-unit", file=sys.stderr)
        return 2
    if args.verbose == 0:  # a long-running node says what it does: started, in the barrier, holding, stopped
        for name in ("renderer", "stage"):  # not third-party chatter (PyOpenGL's accelerate notice)
            logging.getLogger(name).setLevel(logging.INFO)
    return node_main(node_args)
