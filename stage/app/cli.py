"""The ``stage`` command line: ``main(argv) -> int``.

Exit codes: 0 success, 1 runtime failure, 2 bad input (usage, config, scene), 130 interrupted.
Subcommands live in their own modules and register themselves in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from stage.core import argtypes
from stage.core.config.errors import ConfigError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

log = logging.getLogger(__name__)


COMMAND_MODULES = [
    "stage.app.commands.validate",
    "stage.app.commands.demo",
    "stage.app.commands.track",
    "stage.app.commands.taps",
    "stage.app.commands.render",
    "stage.app.commands.golden",
    "stage.app.commands.up",
    "stage.app.commands.tablet",
    "stage.app.commands.clock",
    "stage.app.commands.node",
    "stage.app.commands.keys",
    "stage.app.commands.bench",
]
"""Each module has ``register(subparsers)``; it adds its sub-commands with ``set_defaults(func=...)``."""


def build_parser() -> argparse.ArgumentParser:
    parser = argtypes.ArgumentParser(
        prog="stage",
        description="Virtual-production stage controller: tracking, LED wall rendering, orchestration.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
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
        prefix = f"stage {args.command}: error: " if exc.file.startswith("-") else ""  # an option, not a file
        for line in exc.lines():
            print(prefix + line, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`stage validate ... | head`): not an error of ours. Point stdout at /dev/null so the
        # interpreter's final flush does not raise again (the Python docs' recipe for SIGPIPE).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - last resort: one line, never a traceback
        return last_resort(f"stage {args.command}", exc)


def last_resort(prog: str, exc: BaseException) -> int:
    """Report an exception no command handled as one line: bad input files (takes, assets, presets) exit 2,
    operating-system errors and anything else exit 1. The traceback goes to the debug log (``-vv``)."""
    from stage.app.orchestrator.presets import PresetError
    from stage.core.scene.assets import AssetError
    from stage.core.take import TakeError

    log.debug("%s failed", prog, exc_info=exc)
    if isinstance(exc, TakeError | AssetError | PresetError):
        print(f"{prog}: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{prog}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"{prog}: error: internal error: {type(exc).__name__}: {one_line(str(exc))} (-vv shows the traceback)",
          file=sys.stderr)
    return EXIT_FAILURE


def one_line(text: str, limit: int = 500) -> str:
    """``text`` on one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())
