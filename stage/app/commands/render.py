"""``stage render``: one deterministic frame (or a whole take) to PNGs, headless — for CI and for people."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from stage.core import argtypes
from stage.core.config.cameras import Camera
from stage.core.config.errors import ConfigError, Problem

log = logging.getLogger(__name__)


def _pose(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--pose {text!r}: expected X,Y,Z,PAN,TILT,ROLL numbers") from None
    if len(values) != 6 or not all(abs(v) < 1e6 for v in values):
        raise argparse.ArgumentTypeError(f"--pose {text!r}: expected six finite numbers X,Y,Z,PAN,TILT,ROLL")
    return values


def _assignment(text: str) -> tuple[str, str]:
    """``PATH=VALUE`` of ``--set`` (the value is parsed later, like ``stage set``)."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"--set {text!r}: expected PARAM=VALUE, e.g. exposure_ev=1.5")
    return path.strip(), value.strip()


class LiveSetError(ValueError):
    """A ``--set`` that the live state does not take; the message is one line."""


def live_state(config, assignments: list[tuple[str, str]], overscan_pct: float | None = None):
    """The config's initial live state with every ``--set PARAM=VALUE`` applied in order, validated by the
    :class:`~stage.core.live.LiveState` model exactly as a ``stage set`` or a state delta is (values parse like
    ``stage set``'s: JSON, or comma-separated numbers, else a string). Raises :class:`LiveSetError`."""
    from stage.app.commands.up import parse_value
    from stage.core.live import LiveState
    from stage.core.wire.state import apply_changes

    live = LiveState.from_config(config)
    if overscan_pct is not None:
        assignments = [("overscan_pct", repr(overscan_pct)), *assignments]
    walls = [w.name for w in config.walls]
    for path, text in assignments:
        head, _, rest = path.partition(".")
        if head == "scene":
            raise LiveSetError(f"--set {path}: the scene is chosen with --scene")
        if head == "walls" and rest.split(".")[0] not in walls:
            raise LiveSetError(f"--set {path}: no wall {rest.split('.')[0]!r} (walls: {', '.join(walls)})")
        try:
            live = apply_changes(live, {path: parse_value(text)})
        except ValueError as exc:
            raise LiveSetError(f"--set {path}={text}: {exc}") from None
    return live


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("render", help="render one frame (walls, camera view, preview, render.json) headless")
    p.add_argument("config", help="stage config YAML")
    p.add_argument("--scene", help="scene YAML (default: the config's scene)")
    p.add_argument("--pose", type=_pose, help="camera pose X,Y,Z,PAN,TILT,ROLL (metres, degrees; stage convention)")
    p.add_argument("--take", help="render every sample of a recorded take to image sequences (camera.####.png, "
                   "walls/WALL.####.png, ...) instead of --pose")
    p.add_argument("--camera", help="camera id (default: the config's first camera)")
    p.add_argument("--focal-length", type=argtypes.positive, metavar="MM", help="override the lens's focal length")
    p.add_argument("--time", type=argtypes.scene_time_s, default=0.0, metavar="T",
                   help="scene time in seconds (default 0; a node snapshot's frame.NNNN.json gives the live one)")
    p.add_argument("--overscan", type=argtypes.percent, metavar="PCT", help="override the inner-frustum overscan (same "
                   "as --set overscan_pct=PCT)")
    p.add_argument("--set", dest="live", type=_assignment, action="append", default=[], metavar="PARAM=VALUE",
                   help="a live parameter, as `stage set` takes it (repeatable): exposure_ev=1.5, "
                        "walls.main.brightness=0.8, chroma_key=true, time_of_day_h=9, light_cards.key={...}")
    p.add_argument("--camera-width", type=argtypes.camera_width_px, default=960, metavar="PX",
                   help="width of camera.png/preview.png (16-8192)")
    p.add_argument("--out", type=argtypes.output_folder, default=Path("out/render"),
                   help="output folder (default out/render)")
    p.set_defaults(func=cmd_render)


def camera_for(config, camera_id: str | None) -> Camera:
    """The config camera with ``camera_id`` (default: the first; a 35 mm full-frame camera if there is none)."""
    if camera_id is None:
        if config.cameras:
            return config.cameras[0]
        return Camera(id="camera", source="none", sensor_mm=(36.0, 24.0), lens={"kind": "fixed", "focal_length_mm": 35})
    try:
        return config.camera(camera_id)
    except KeyError:
        known = ", ".join(c.id for c in config.cameras) or "none"
        raise ConfigError("--camera", [Problem("", f"unknown camera {camera_id!r} (cameras: {known})")]) from None


def cmd_render(args: argparse.Namespace) -> int:
    from renderer.offline import render_frame, write_frame
    from renderer.views import CameraState
    from stage.core.config.loader import load_scene_config, load_stage_config
    from stage.core.config.paths import scene_file
    from stage.core.lens import LensSolver

    if (args.pose is None) == (args.take is None):
        print("stage render: error: give --pose X,Y,Z,PAN,TILT,ROLL or --take TAKE", file=sys.stderr)
        return 2
    config = load_stage_config(args.config)
    scene_path = scene_file(args.config, config.scene, args.scene)
    if scene_path is None:
        print("stage render: error: no scene: give --scene or set `scene:` in the config", file=sys.stderr)
        return 2
    try:
        live = live_state(config, args.live, args.overscan)
    except LiveSetError as exc:
        print(f"stage render: error: {exc}", file=sys.stderr)
        return 2
    scene = load_scene_config(scene_path, config.color)
    camera = camera_for(config, args.camera)
    lens = LensSolver(camera.lens)()

    def state(x, y, z, pan, tilt, roll, focal=None) -> CameraState:
        return CameraState(camera=camera.id, position_m=(x, y, z), rotation_deg=(pan, tilt, roll),
                           focal_length_mm=args.focal_length or focal or lens.focal_length_mm,
                           sensor_mm=camera.sensor_mm, entrance_pupil_m=lens.entrance_pupil_m,
                           priority=camera.priority)

    out = Path(args.out)
    if args.pose is not None:
        cam = state(*args.pose)
        result = render_frame(config, scene, [cam], live, args.time, args.camera_width)
        write_frame(out, config, result, cam)
        print(f"wrote {out}/ (walls/: {len(result.walls)} images, camera.png, preview.png, render.json)")
        return 0
    return _render_take(args, config, scene, camera, state, live, out)


FIRST_FRAME = 1
"""Frame number of a take's first sample in the image sequences."""
MIN_FRAME_DIGITS = 4


def sequence_digits(frames: int) -> int:
    """Zero-padded width of the frame numbers of a ``frames``-long sequence: 4 (``####``), more only when needed."""
    return max(MIN_FRAME_DIGITS, len(str(FIRST_FRAME + frames - 1)))


def _render_take(args, config, scene, camera, state, live, out: Path) -> int:
    """Every non-stale sample of ``camera`` in the take as frame ``FIRST_FRAME + i`` of image sequences
    ``walls/<wall>.####.png``, ``camera.####.png``, ``preview.####.png``, and one ``render.json`` listing the
    frames (docs/rendering.md); a progress bar on stderr when it is a terminal."""
    from tqdm import tqdm

    from renderer.gl import create_context
    from renderer.offline import camera_json, render_frame, walls_json, write_images, write_json
    from stage.core.take import TakeError, read_take

    try:
        take = read_take(args.take)
    except TakeError as exc:
        print(f"stage render: error: --take: {exc}", file=sys.stderr)
        return 2
    samples = [s for s in take.samples if s.camera == camera.id and not s.stale]
    if not samples:
        print(f"stage render: error: take {args.take} has no samples of camera {camera.id!r} "
              f"(cameras: {', '.join(take.cameras) or 'none'})", file=sys.stderr)
        return 2
    digits = sequence_digits(len(samples))
    frames = []
    ctx = create_context("headless")
    try:
        progress = tqdm(samples, desc=f"render {Path(args.take).name}", unit="frame", file=sys.stderr,
                        disable=not sys.stderr.isatty())
        for i, s in enumerate(progress):
            frame = FIRST_FRAME + i
            suffix = f".{frame:0{digits}d}"
            cam = state(*s.position_m, *s.rotation_deg, focal=s.focal_length_mm)
            time_s = args.time + (s.t_sample - samples[0].t_sample)
            result = render_frame(config, scene, [cam], live, time_s, args.camera_width, context=ctx)
            write_images(out, result, suffix)
            frames.append({"frame": frame, "t_sample": s.t_sample, "time_s": time_s,
                           "camera": camera_json(result, cam, f"camera{suffix}.png", f"preview{suffix}.png")})
    finally:
        ctx.close()
    hashes = "#" * digits
    write_json(out / "render.json", {
        "take": str(args.take),
        "camera_id": camera.id,
        "first_frame": FIRST_FRAME,
        "last_frame": FIRST_FRAME + len(frames) - 1,
        "camera": f"camera.{hashes}.png",
        "preview": f"preview.{hashes}.png",
        "walls": walls_json(config, f"walls/{{wall}}.{hashes}.png"),
        "frames": frames,
    })
    print(f"wrote {len(frames)} frames to {out}/ (walls/<wall>.{hashes}.png, camera.{hashes}.png, "
          f"preview.{hashes}.png, render.json)")
    return 0
