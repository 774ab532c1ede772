"""``stage validate``: check a stage config, its scene and every other scene ``stage scene`` could switch to, and
print a summary. Problems are printed as ``file:line: key: reason`` lines and exit 2."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from stage.app.summary import resolved_json, summary_lines
from stage.core.config.loader import load_scene_config, load_stage_config, stage_warnings
from stage.core.config.paths import scene_file
from stage.core.scene.catalog import scene_candidates, scene_problems

EXIT_PROBLEMS = 2


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a stage config (and its scenes) and print a summary")
    p.add_argument("config", help="stage config YAML")
    p.add_argument("--scene", help="scene YAML to check as well (default: the config's scene)")
    p.add_argument("--json", action="store_true", help="print the resolved config as JSON")
    p.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    config = load_stage_config(args.config)
    scene_path = scene_file(args.config, config.scene, args.scene)
    scene = load_scene_config(scene_path, config.color) if scene_path else None
    warnings = stage_warnings(args.config, config)
    for line in warnings:
        print(line, file=sys.stderr)
    broken = []
    others = scene_candidates(Path(scene_path))[1:] if scene_path else []
    for other in others:  # the scenes `stage scene` offers; each is loaded only when selected on a show
        broken.extend(scene_problems(other, config.color))
    if args.json:
        print(json.dumps({**resolved_json(config, scene), "warnings": warnings}, indent=2))
    else:
        print("\n".join(summary_lines(config, scene)))
    for line in broken:
        print(line, file=sys.stderr)
    if broken:
        print(f"stage validate: {len(broken)} problem(s) in other scenes of {Path(scene_path).parent} "
              "(a show refuses them when selected)", file=sys.stderr)
        return EXIT_PROBLEMS
    if not args.json:
        print(f"ok: {args.config}" + (f" with scene {scene_path}" if scene_path else "")
              + (f" and {len(others)} other scene(s)" if others else ""))
    return 0
