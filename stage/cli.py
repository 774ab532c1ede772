"""The ``stage`` command line: ``main(argv) -> int``.

Exit codes: 0 success, 1 runtime failure, 2 bad input (usage, config, scene), 130 interrupted.
Subcommands live in their own modules and register themselves in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from stage.config.errors import ConfigError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

log = logging.getLogger(__name__)


def _register_validate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a stage config (and scene) and print a summary")
    p.add_argument("config", help="stage config YAML")
    p.add_argument("--scene", help="scene YAML to check as well (default: the config's scene)")
    p.add_argument("--json", action="store_true", help="print the resolved config as JSON")
    p.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    import json
    import os
    from pathlib import Path

    from stage.config.loader import load_scene_config, load_stage_config
    from stage.summary import resolved_json, summary_lines

    config = load_stage_config(args.config)
    scene_path = args.scene or (os.path.normpath(Path(args.config).parent / config.scene) if config.scene else None)
    scene = load_scene_config(scene_path) if scene_path else None
    if args.json:
        print(json.dumps(resolved_json(config, scene), indent=2))
    else:
        print("\n".join(summary_lines(config, scene)))
        print(f"ok: {args.config}" + (f" with scene {scene_path}" if scene_path else ""))
    return EXIT_OK


REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = [_register_validate]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stage",
        description="Virtual-production stage controller: tracking, LED wall rendering, orchestration.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in REGISTRARS:
        register(sub)
    return parser


def _setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
