"""``stage up`` and the commands that talk to it: ``status``, ``scene``, ``set``, ``preset``, ``undo``, ``reload``,
``down`` (control protocol: :mod:`stage.app.orchestrator.control`).

Exit codes: 0 done; 1 no orchestrator answering (one line on stderr) or a request that failed; 2 a refused
request (bad value, unknown scene or preset, invalid config edit) — nothing changed.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
from pathlib import Path
from typing import Any

from stage.core import argtypes
from stage.core.config.stage import Control

log = logging.getLogger(__name__)

DEFAULT_CONTROL = Control().endpoint
EXIT_OK, EXIT_FAILURE, EXIT_REFUSED = 0, 1, 2


def _client_args(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument("--control", type=argtypes.endpoint, metavar="ENDPOINT",
                       help=f"orchestrator control endpoint (default {DEFAULT_CONTROL})")
    where.add_argument("--config", metavar="CONFIG", help="take the control endpoint from this stage config")
    p.add_argument("--timeout", type=argtypes.seconds, default=3.0, metavar="S", help="wait this long for an answer")
    p.add_argument("--keys", type=Path, metavar="DIR", help="CURVE keys folder (default: $VPSTAGE_KEYS or "
                   "~/.config/vpstage/keys; `stage keys` makes it)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("up", help="run a stage: tracking daemon, render nodes, OSC and control, supervised")
    p.add_argument("config", help="stage config YAML")
    p.add_argument("--scene", help="scene YAML to start with (default: the config's)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--headless", dest="display", action="store_const", const="headless",
                      help="render offscreen (default: windows when a display exists)")
    mode.add_argument("--windowed", dest="display", action="store_const", const="windowed")
    p.set_defaults(display="auto")
    p.add_argument("--duration", type=argtypes.seconds, metavar="SEC", help="stop after SEC seconds")
    p.add_argument("--osc-port", type=argtypes.port, metavar="PORT", help="OSC UDP port (overrides control.osc_port)")
    p.add_argument("--control", type=argtypes.endpoint, metavar="ENDPOINT",
                   help="control endpoint (overrides the config)")
    p.add_argument("--log-dir", type=Path, metavar="DIR",
                   help="process logs (default: the stage folder's logs/; docs/operator-guide.md, \"Where files go\")")
    p.add_argument("--presets", type=Path, metavar="DIR",
                   help="presets, journal and run lock (default: the stage folder's presets/)")
    p.add_argument("--snapshot-dir", type=Path, metavar="DIR", help="render nodes write PNGs here on SIGUSR1")
    p.add_argument("--frame-log", type=Path, metavar="DIR",
                   help="frame lock: the clock and every local node append DIR/<name>.frames.jsonl (docs/cluster.md)")
    p.add_argument("--fresh", action="store_true",
                   help="start from the config's values, not the live state journaled by the last run")
    p.add_argument("--keys", type=Path, metavar="DIR", help="CURVE keys folder (default: $VPSTAGE_KEYS or "
                   "~/.config/vpstage/keys; made on first use)")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("status", help="status of the running stage (processes, scene, parameters, fps, poses)")
    p.add_argument("--json", action="store_true", help="the whole status document as JSON")
    _client_args(p)
    p.set_defaults(func=lambda a: _client(a, "status"))
    p = sub.add_parser("scene", help="switch the running stage to another scene")
    p.add_argument("name", help="scene name (file stem) or path (relative to here, or absolute; any folder)")
    _client_args(p)
    p.set_defaults(func=lambda a: _client(a, "scene", name=scene_arg(a.name)))
    p = sub.add_parser("set", help="set a live parameter (e.g. exposure_ev 1.5, walls.main.brightness 0.8)")
    p.add_argument("param", help="dotted parameter path (stage status lists them)")
    p.add_argument("value", type=parse_value, help="JSON value, or comma-separated numbers for vectors")
    _client_args(p)
    p.set_defaults(func=lambda a: _client(a, "set", param=a.param, value=a.value))
    p = sub.add_parser("preset", help="save or recall the whole live state under a name, or list presets")
    p.add_argument("action", choices=("save", "recall", "list"))
    p.add_argument("name", nargs="?", help="preset name")
    _client_args(p)
    p.set_defaults(func=cmd_preset)
    for name, text in (("undo", "undo the last change"), ("reload", "validate the edited config and apply it"),
                       ("down", "stop the running stage")):
        p = sub.add_parser(name, help=text)
        _client_args(p)
        p.set_defaults(func=lambda a, cmd=name: _client(a, cmd))


def scene_arg(name: str) -> str:
    """A scene path that exists relative to the working directory becomes absolute (the orchestrator runs
    elsewhere); names and anything else go as typed."""
    if not name.endswith((".yaml", ".yml")) and "/" not in name:
        return name
    try:
        return os.path.abspath(name) if Path(name).is_file() else name
    except (OSError, ValueError):
        return name


MAX_VALUE_CHARS = 4096
"""Longest ``stage set`` value (the control protocol caps whole requests too)."""


def parse_value(text: str) -> Any:
    """``1.5`` → 1.5, ``true`` → True, ``[1,2,3]`` or ``1,2,3`` → a list, anything else → the string.

    A number the control protocol cannot carry (NaN, infinity, an integer beyond 64 bits) or an over-long value
    raises ``argparse.ArgumentTypeError``."""
    if len(text) > MAX_VALUE_CHARS:
        raise argparse.ArgumentTypeError(f"value longer than {MAX_VALUE_CHARS} characters")
    value: Any = text
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        parts = text.split(",")
        if len(parts) > 1:
            try:
                value = [float(p) for p in parts]
            except ValueError:
                pass
    _check_numbers(value, text)
    return value


def _check_numbers(value: Any, text: str, depth: int = 0) -> None:
    if depth > 8:
        raise argparse.ArgumentTypeError(f"{text!r}: nested too deeply")
    if isinstance(value, list | dict):
        for item in value.values() if isinstance(value, dict) else value:
            _check_numbers(item, text, depth + 1)
    elif isinstance(value, float) and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r}: numbers must be finite")
    elif isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{text!r}: number too large")


def control_endpoint(args: argparse.Namespace) -> str:
    if args.control:
        return args.control
    if args.config:
        from stage.core.config.loader import load_stage_config

        return load_stage_config(args.config).control.endpoint
    return DEFAULT_CONTROL


def cmd_preset(args: argparse.Namespace) -> int:
    if args.action == "list":
        return _client(args, "presets")
    if not args.name:
        print(f"stage preset {args.action}: error: give a preset NAME", file=sys.stderr)
        return EXIT_REFUSED
    return _client(args, f"preset_{args.action}", name=args.name)


def _client(args: argparse.Namespace, cmd: str, **fields: Any) -> int:
    from stage.app.orchestrator import client
    from stage.app.orchestrator.control import RequestError
    from stage.app.orchestrator.status_text import format_reply
    from stage.core.keys import KeysError

    endpoint = control_endpoint(args)
    try:
        if cmd == "down":
            reply = client.down(endpoint, args.timeout, args.keys)
        else:
            reply = client.request(endpoint, cmd, args.timeout, args.keys, **fields)
    except client.NoOrchestrator as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAILURE
    except KeysError as exc:
        print(f"stage {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except RequestError as exc:
        print(f"stage {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    if not reply["ok"]:
        for line in reply.get("lines") or [reply.get("error", "refused")]:
            print(line, file=sys.stderr)
        return EXIT_REFUSED if reply.get("kind", "invalid") == "invalid" else EXIT_FAILURE
    if getattr(args, "json", False):
        print(json.dumps(reply, indent=2, sort_keys=True))
    else:
        print(format_reply(cmd, reply))
    return EXIT_OK


def cmd_up(args: argparse.Namespace) -> int:
    from stage.app.orchestrator.stage_up import Orchestrator, UpError, UpOptions
    from stage.app.orchestrator.status_text import StatusOutput
    from stage.app.orchestrator.supervisor import SupervisorError

    output = StatusOutput(sys.stderr, verbose=args.verbose)
    options = UpOptions(config=Path(args.config), scene=args.scene, display=args.display, duration_s=args.duration,
                        osc_port=args.osc_port, control=args.control, log_dir=args.log_dir,
                        presets_dir=args.presets, snapshot_dir=args.snapshot_dir, frame_log=args.frame_log,
                        fresh=args.fresh,
                        keys_dir=args.keys)
    try:
        orchestrator = Orchestrator(options, on_status=output.status)
    except UpError as exc:
        output.close()
        print(f"stage up: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except BaseException:
        output.close()
        raise
    own_log = _own_log(orchestrator.log_dir)
    try:
        return orchestrator.run()
    except SupervisorError as exc:
        print(f"stage up: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        output.close()
        if own_log is not None:
            logging.getLogger().removeHandler(own_log)
            own_log.close()


def _own_log(log_dir: Path) -> logging.Handler | None:
    """``<log_dir>/stage-up.log``: the orchestrator's own log beside its children's (rotated like theirs)."""
    from stage.app.orchestrator.supervisor import rotate_log

    path = log_dir / "stage-up.log"
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        rotate_log(path)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        log.warning("no orchestrator log file %s: %s", path, exc.strerror)
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    return handler
