"""``stage demo``: the embedded default, ``configs/demo.yaml``."""

from __future__ import annotations

import argparse
from pathlib import Path

from stage.config.loader import load_scene_config, load_stage_config
from stage.summary import summary_lines

REPO = Path(__file__).resolve().parents[2]
DEMO_CONFIG = REPO / "configs" / "demo.yaml"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the demo stage (configs/demo.yaml)")
    p.add_argument("--config", default=str(DEMO_CONFIG), help="stage config (default: the demo stage)")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    config = load_stage_config(args.config)
    scene = load_scene_config(Path(args.config).parent / config.scene) if config.scene else None
    print("\n".join(summary_lines(config, scene)))
    return 0
