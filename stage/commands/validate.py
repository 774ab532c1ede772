"""``stage validate``: check a stage config (and scene) and print a summary."""

from __future__ import annotations

import argparse
import json
import sys

from stage.config.loader import load_scene_config, load_stage_config, stage_warnings
from stage.config.paths import scene_file
from stage.summary import resolved_json, summary_lines


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a stage config (and scene) and print a summary")
    p.add_argument("config", help="stage config YAML")
    p.add_argument("--scene", help="scene YAML to check as well (default: the config's scene)")
    p.add_argument("--json", action="store_true", help="print the resolved config as JSON")
    p.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    config = load_stage_config(args.config)
    scene_path = scene_file(args.config, config.scene, args.scene)
    scene = load_scene_config(scene_path) if scene_path else None
    warnings = stage_warnings(args.config, config)
    for line in warnings:
        print(line, file=sys.stderr)
    if args.json:
        print(json.dumps({**resolved_json(config, scene), "warnings": warnings}, indent=2))
    else:
        print("\n".join(summary_lines(config, scene)))
        print(f"ok: {args.config}" + (f" with scene {scene_path}" if scene_path else ""))
    return 0
