"""``stage golden update|check``: keep rendered frames of named poses as golden images and check a build against them.

``update`` renders every pose of the poses file and writes ``DIR/<name>/walls/<wall>.png``, ``camera.png``,
``preview.png`` and ``DIR/manifest.json`` (paths, camera width, tolerances). ``check`` renders the same and compares
every image (docs/golden.md): one line per image, evidence for each drifting image under ``DIR/_diff/<name>/``.

Exit codes of ``check``: 0 every image matches; 1 something drifted, or a golden image of a pose is missing or
left over (the rendered set changed: run ``update`` if that is intended); 2 bad input — a config, scene or poses
problem, or ``DIR`` is not a golden folder (no ``manifest.json``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stage.app.commands.render import camera_for
from stage.core import argtypes
from stage.core.golden_poses import GoldenPose, load_poses

MANIFEST = "manifest.json"
DIFF_DIR = "_diff"
DEFAULT_CAMERA_WIDTH_PX = 480
_width = argtypes.camera_width_px
_threshold = argtypes.number(0, 255, "threshold in 8-bit levels", integer=True)
_fraction = argtypes.number(0.0, 1.0, "fraction")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("golden", help="keep golden frames of named poses and check renders against them")
    actions = p.add_subparsers(dest="golden_action", metavar="ACTION", required=True)
    for name, help_text in (("update", "render every pose and (re)write its golden images"),
                            ("check", "render every pose and compare with its golden images (exit 1 on drift)")):
        a = actions.add_parser(name, help=help_text)
        a.add_argument("config", help="stage config YAML")
        a.add_argument("--poses", required=True, help="poses YAML (see configs/poses/demo-golden.yaml)")
        a.add_argument("--dir", type=argtypes.output_folder, required=True, help="golden folder")
        a.add_argument("--scene", help="scene YAML (default: the config's scene; a pose's own scene wins)")
        a.add_argument("--camera-width", type=_width, metavar="PX",
                       help="width of camera.png/preview.png (default: the manifest's, else "
                            f"{DEFAULT_CAMERA_WIDTH_PX})")
        a.add_argument("--threshold", type=_threshold, metavar="N",
                       help="per-channel difference (8-bit levels) over which a pixel differs (default: manifest's, "
                            "else 8)")
        a.add_argument("--max-fraction", type=_fraction, metavar="F",
                       help="largest fraction of pixels allowed over the threshold (default: manifest's, else 0.002)")
        a.set_defaults(func=cmd_update if name == "update" else cmd_check)


class _Renderer:
    """Renders the images of one pose, reusing one headless context and each scene file once."""

    def __init__(self, args: argparse.Namespace, config: Any, poses_path: Path, width_px: int):
        from renderer.gl import create_context

        self.args, self.config, self.poses_dir, self.width_px = args, config, poses_path.parent, width_px
        self.scenes: dict[str, Any] = {}
        self.context = create_context("headless")

    def close(self) -> None:
        self.context.close()

    def _scene(self, entry: GoldenPose) -> Any:
        from stage.core.config.errors import ConfigError, Problem
        from stage.core.config.loader import load_scene_config
        from stage.core.config.paths import scene_file

        # a pose's own scene is written in the poses file, so it is relative to that file
        given = self.poses_dir / entry.scene if entry.scene is not None else self.args.scene
        found = scene_file(self.args.config, self.config.scene, given)
        if found is None:
            raise ConfigError(self.args.config, [Problem("", "no scene: give --scene, a pose's scene, or `scene:`")])
        path = str(found)
        if path not in self.scenes:
            self.scenes[path] = load_scene_config(path)
        return self.scenes[path]

    def images(self, entry: GoldenPose) -> dict[str, Any]:
        from renderer.golden import frame_images
        from renderer.offline import render_frame
        from renderer.views import CameraState
        from stage.core.lens import LensSolver
        from stage.core.live import LiveState

        camera = camera_for(self.config, entry.camera)
        lens = LensSolver(camera.lens)()
        x, y, z, pan, tilt, roll = entry.pose
        state = CameraState(camera=camera.id, position_m=(x, y, z), rotation_deg=(pan, tilt, roll),
                            focal_length_mm=entry.focal_length_mm or lens.focal_length_mm,
                            sensor_mm=camera.sensor_mm, entrance_pupil_m=lens.entrance_pupil_m,
                            priority=camera.priority)
        live = LiveState.from_config(self.config)
        if entry.overscan_pct is not None:
            live.overscan_pct = entry.overscan_pct
        if entry.chroma_key is not None:
            live.chroma_key = entry.chroma_key
        result = render_frame(self.config, self._scene(entry), [state], live, entry.time_s, self.width_px,
                              context=self.context)
        return frame_images(result)


def _read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of a golden folder; ``{}`` when there is none."""
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise _BadInput(f"{path}: unreadable manifest: {exc}") from None
    if not isinstance(manifest, dict):
        raise _BadInput(f"{path}: unreadable manifest: not a JSON object")
    return manifest


class _BadInput(Exception):
    """A problem with the command's input that is not a config problem: exit 2 with one line."""


def _settings(args: argparse.Namespace, directory: Path) -> tuple[int, int, float]:
    """``(camera width px, channel threshold, max fraction over)``: each from its flag, else the manifest, else the
    default. Raises :class:`_BadInput` for an unreadable manifest."""
    from renderer.golden import DEFAULT_CHANNEL_THRESHOLD, DEFAULT_MAX_FRACTION_OVER

    manifest = _read_manifest(directory)

    def pick(value: Any, key: str, default: Any, check: Callable[[str], Any]) -> Any:
        """The flag's value, else the manifest's checked like the flag (a manifest is input too)."""
        if value is not None:
            return value
        raw = manifest.get(key, default)
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise _BadInput(f"{directory / MANIFEST}: {key}: not a number: {raw!r}")
        try:
            return check(str(raw))
        except argparse.ArgumentTypeError as exc:
            raise _BadInput(f"{directory / MANIFEST}: {key}: {exc}") from None

    return (pick(args.camera_width, "camera_width_px", DEFAULT_CAMERA_WIDTH_PX, _width),
            pick(args.threshold, "channel_threshold", DEFAULT_CHANNEL_THRESHOLD, _threshold),
            pick(args.max_fraction, "max_fraction_over", DEFAULT_MAX_FRACTION_OVER, _fraction))


def _run(args: argparse.Namespace, width_px: int, action: Callable[[str, dict[str, Any]], int]) -> int:
    """Load inputs, render every pose and hand its images to ``action(name, images) -> failures``."""
    from tqdm import tqdm

    from stage.core.config.loader import load_stage_config

    config = load_stage_config(args.config)
    poses = load_poses(args.poses, [c.id for c in config.cameras])
    renderer = _Renderer(args, config, Path(args.poses), width_px)
    failures = 0
    try:
        for entry in tqdm(poses.poses, unit="pose", file=sys.stderr, disable=not sys.stderr.isatty()):
            failures += action(entry.name, renderer.images(entry))
    finally:
        renderer.close()
    return failures


def cmd_update(args: argparse.Namespace) -> int:
    from renderer.golden import save_rgb_png

    directory = Path(args.dir)
    try:
        width, threshold, fraction = _settings(args, directory)
    except _BadInput as exc:
        print(f"stage golden update: error: {exc}", file=sys.stderr)
        return 2
    written: dict[str, list[str]] = {}

    def write(name: str, images: dict[str, Any]) -> int:
        pose_dir = directory / name
        for stale in sorted((pose_dir / "walls").glob("*.png")):
            if f"walls/{stale.name}" not in images:
                stale.unlink()
        for rel, image in images.items():
            save_rgb_png(image, pose_dir / rel)
        written[name] = sorted(images)
        return 0

    _run(args, width, write)
    manifest = {"version": 1, "config": args.config, "scene": args.scene, "poses": args.poses,
                "camera_width_px": width, "channel_threshold": threshold, "max_fraction_over": fraction,
                "images": written}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    total = sum(len(v) for v in written.values())
    print(f"golden update: wrote {total} images for {len(written)} poses to {directory}/")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from renderer.golden import GoldenError, compare_images, load_png, write_evidence

    directory = Path(args.dir)
    if not (directory / MANIFEST).is_file():
        print(f"stage golden check: error: {directory / MANIFEST}: not found (not a golden folder; run "
              f"`stage golden update` first)", file=sys.stderr)
        return 2
    try:
        width, threshold, fraction = _settings(args, directory)
    except _BadInput as exc:
        print(f"stage golden check: error: {exc}", file=sys.stderr)
        return 2
    diff_root = directory / DIFF_DIR
    shutil.rmtree(diff_root, ignore_errors=True)
    counts = {"ok": 0, "DRIFT": 0, "MISSING": 0, "EXTRA": 0}

    def report(status: str, rel: str, text: str) -> None:
        counts[status] += 1
        tqdm.write(f"{status:<8} {rel}  {text}", file=sys.stdout)

    def check(name: str, images: dict[str, Any]) -> int:
        before = counts["ok"]
        for rel, image in images.items():
            path = directory / name / rel
            try:
                expected = load_png(path)
            except GoldenError as exc:
                report("MISSING", f"{name}/{rel}", str(exc))
                continue
            result = compare_images(image, expected, channel_threshold=threshold, max_fraction_over=fraction)
            if result.passed:
                report("ok", f"{name}/{rel}", result.numbers())
            else:
                write_evidence(diff_root / name, rel.removesuffix(".png"), image, expected, result)
                report("DRIFT", f"{name}/{rel}", result.message)
        for extra in sorted((directory / name / "walls").glob("*.png")):
            if f"walls/{extra.name}" not in images:
                report("EXTRA", f"{name}/walls/{extra.name}", "golden image of a wall that was not rendered")
        return len(images) - (counts["ok"] - before)

    failures = _run(args, width, check)
    total = sum(counts.values())
    summary = ", ".join(f"{v} {k.lower()}" for k, v in counts.items() if v or k == "ok")
    if failures or counts["EXTRA"]:
        where = f"; evidence in {diff_root}/" if counts["DRIFT"] else ""
        print(f"golden check: FAILED: {total} images: {summary}{where}")
        return 1
    print(f"golden check: {total} images match ({threshold=}, max_fraction={fraction})")
    return 0
