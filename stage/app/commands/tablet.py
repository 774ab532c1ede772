"""``stage tablet CONFIG``: an Open Stage Control session for this stage's walls, cameras and light cards."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stage.app.orchestrator.osc_tablet import APP_VERSION, session_text
from stage.core.config.loader import load_stage_config
from stage.core.live import LiveState

EXIT_OK, EXIT_FAILURE = 0, 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tablet", help="write an Open Stage Control session (the director's tablet) for a stage")
    p.add_argument("config", help="stage config YAML")
    p.add_argument("--out", type=Path, metavar="FILE",
                   help="session file to write (default: <config name>.tablet.json in the current folder; - for "
                        "stdout)")
    p.set_defaults(func=cmd_tablet)


def cmd_tablet(args: argparse.Namespace) -> int:
    config = load_stage_config(args.config)
    text = session_text(LiveState.from_config(config), ocio=config.color.ocio_config is not None)
    if args.out is not None and str(args.out) == "-":
        sys.stdout.write(text)
        return EXIT_OK
    out = args.out or Path(f"{Path(args.config).stem}.tablet.json")
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"stage tablet: error: {out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    walls, cards, cameras = len(config.walls), len(config.render.light_cards), len(config.cameras)
    print(f"wrote {out}: {walls} walls, {cameras} cameras, {cards} light cards (scenes come from the show). Open it in "
          f"Open Stage Control {APP_VERSION} with --send <orchestrator host>:{config.control.osc_port}",
          file=sys.stderr)
    return EXIT_OK
