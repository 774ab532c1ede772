"""The render node process: draws this node's walls into its outputs every frame, from live poses and live state.

    python -m renderer configs/demo.yaml --node node1 --headless --snapshot-dir out/snap

Per frame: sleep until the latest start that still meets the deadline (1/``render.target_fps``), apply the waiting
state messages (one coalesced application), drain the pose socket keeping each camera's newest pose (late
latching), render the inner frusta, the cached outer cube map and the walls, then swap (windows, vsync) or
``glFinish`` (headless). Stats go out once a second on ``render/<node>`` (:mod:`stage.core.wire.render_stats`).
SIGINT/SIGTERM stop it (exit 0); SIGUSR1 writes every output as ``<node>-<output>.NNNN.png`` (snapshot number
NNNN from 0001, with ``<node>-frame.NNNN.json`` beside it) into ``--snapshot-dir``, which also happens at exit.
"""

from __future__ import annotations

import argparse
import functools
import logging
import signal
import sys
import time
from pathlib import Path

from renderer.frame_stats import FrameStats, Pacer
from renderer.gl import ensure_pyopengl_egl
from renderer.node_io import NodeSockets, camera_state
from renderer.node_lock import run_locked
from stage.core import argtypes
from stage.core.cluster.follower import FrameFollower
from stage.core.cluster.state_sync import StateTimeline
from stage.core.config.errors import ConfigError, Problem
from stage.core.config.paths import scene_file
from stage.core.live import LiveState
from stage.core.pose_latch import LatchedPose, PoseLatch, RejectCounter
from stage.core.priority import apply_priority
from stage.core.wire.pose import WIRE_VERSION, WireError
from stage.core.wire.render_stats import STATS_INTERVAL_S, RenderStats
from stage.core.wire.state import StateFollower

log = logging.getLogger("renderer.node")

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG, EXIT_GL = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    p = argtypes.ArgumentParser(prog="python -m renderer", description="Run a render node.")
    p.add_argument("config", help="stage config YAML")
    p.add_argument("--node", required=True, help="node name (nodes[].name in the config)")
    p.add_argument("--scene", help="scene YAML (default: the config's scene)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--display", choices=("auto", "headless", "windowed"), default="auto",
                      help="windows when a display exists (auto, the default), or force one")
    mode.add_argument("--headless", dest="display", action="store_const", const="headless")
    mode.add_argument("--windowed", dest="display", action="store_const", const="windowed")
    p.add_argument("--duration", type=argtypes.seconds, metavar="S", help="stop after S seconds")
    p.add_argument("--pose", type=argtypes.endpoint, metavar="ENDPOINT",
                   help="pose stream (default: endpoints.pose)")
    p.add_argument("--state", type=argtypes.endpoint, metavar="ENDPOINT",
                   help="live-state stream (default: endpoints.state)")
    p.add_argument("--stats", type=argtypes.endpoint, metavar="ENDPOINT",
                   help="stats PUB connects here (default: endpoints.render_stats)")
    p.add_argument("--snapshot-dir", type=Path, metavar="DIR", help="write output PNGs here on SIGUSR1 and at exit")
    p.add_argument("--frame-log", type=Path, metavar="DIR",
                   help="frame lock: append one line per presented frame to DIR/<node>.frames.jsonl")
    p.add_argument("--gl-checks", action="store_true",
                   help="keep PyOpenGL's glGetError check after every GL call (slower; for debugging)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return p


class Signals:
    """Flags set by the signal handlers (installed before the slow GL start-up, so SIGTERM is clean from the
    start); the frame loop reads them."""

    def __init__(self) -> None:
        self.stop = False
        self.snapshot = False

    def install(self) -> None:
        def on_stop(signum: int, _frame: object) -> None:
            self.stop = True

        def on_snapshot(signum: int, _frame: object) -> None:
            self.snapshot = True

        signal.signal(signal.SIGINT, on_stop)
        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGUSR1, on_snapshot)


class Node:
    """The frame loop; owns the sockets and the GL side (:class:`renderer.node_outputs.NodeRenderer`)."""

    def __init__(self, args: argparse.Namespace, signals: Signals) -> None:
        from stage.core.config.loader import load_scene_config, load_stage_config

        self.args, self.config_path = args, Path(args.config)
        self.config = config = load_stage_config(self.config_path)
        if args.node not in {n.name for n in config.nodes}:
            known = ", ".join(n.name for n in config.nodes) or "none"
            raise ConfigError("--node", [Problem("", f"unknown render node {args.node!r} (nodes: {known})")])
        own = next(n for n in config.nodes if n.name == args.node)
        apply_priority(own.priority or config.cluster.priority, f"render node {args.node}")
        scene_path = scene_file(self.config_path, config.scene, args.scene)
        if scene_path is None:
            raise ConfigError(str(self.config_path), [Problem("scene", "no scene: give --scene or set it")])
        self.scene_path = scene_path
        scene = load_scene_config(self.scene_path, config.color)
        self.follower = StateFollower(LiveState.from_config(config, scene=str(scene_path)))
        self.priority = {c.id: c.priority for c in config.cameras}
        self.rejects = RejectCounter()
        self.latch = PoseLatch(self.rejects)
        self.held: dict[str, LatchedPose] | None = None
        self.used: dict[str, tuple[int, float]] = {}
        self.signals = signals
        self.snapshots = 0
        self.drawn: tuple | None = None
        """The last frame drawn and its cameras (recorded next to a snapshot)."""
        display = args.display
        if display == "auto":
            from renderer.gl.window import display_available

            display = "windowed" if display_available() else "headless"
        from renderer.node_outputs import NodeRenderer

        self.lock = None
        """Frame lock (``cluster.frame_lock``): the leader's frames (:mod:`renderer.node_lock`)."""
        if config.cluster.frame_lock:
            self.timeline = StateTimeline(self.follower.state)
            self.follower = self.timeline.follower
        self.gl = NodeRenderer(config, scene, args.node, display, self.follower.state)
        from renderer.scene_loader import SceneLoader, load_prepared

        self.loader = SceneLoader(functools.partial(load_prepared, color=config.color))
        ep = config.endpoints
        try:
            pose = None if config.cluster.frame_lock else args.pose or ep.pose  # in frame lock the leader latches
            self.sockets = NodeSockets(pose, args.state or ep.state, args.stats or ep.render_stats)
            if config.cluster.frame_lock:
                self.lock = FrameFollower(args.node, config.cluster.frames, config.cluster.ready)
        except BaseException:
            self.gl.close()
            raise
        log.info("render node %s: %d walls on %d outputs (%s), GL %s", args.node, len(self.gl.walls),
                 len(self.gl.outputs), display, self.gl.gl_renderer)

    # -- inputs ----------------------------------------------------------------------------------------------------

    def apply_state_messages(self) -> None:
        """Feed every waiting state message to the follower; apply the result once."""
        changed = False
        for frames in self.sockets.drain_state():
            try:
                changed |= self.follower.handle(frames)
            except WireError as exc:
                self.rejects.reject("state", exc)
        if not changed:
            return
        live = self.follower.state
        if live.scene is not None:
            path = scene_file(self.config_path, None, live.scene)
            if path != self.scene_path:
                self.loader.request(path)  # parsed and prepared off the frame loop; see poll_scene
        self.gl.apply_state(live)

    def poll_scene(self) -> None:
        """Switch to a scene the loader finished (upload only; the old scene drew until now)."""
        result = self.loader.poll()
        if result is None:
            return
        if result.prepared is None:
            log.error("scene %s not loaded, keeping %s: %s", result.path, self.scene_path, result.error)
            return
        start = time.monotonic()
        self.gl.apply_state(self.follower.state, result.prepared)
        self.scene_path = result.path
        log.info("scene changed to %s (loaded in %.0f ms off the frame loop, uploaded in %.1f ms)", result.path,
                 result.load_s * 1000.0, (time.monotonic() - start) * 1000.0)

    def latched_cameras(self) -> dict[str, LatchedPose]:
        self.sockets.drain_poses(self.latch)
        if self.follower.state.tracking_freeze:
            if self.held is None:
                self.held = dict(self.latch.poses)
            return self.held
        self.held = None
        return self.latch.delayed(time.monotonic(), self.follower.state.camera_delay_ms)

    # -- loop --------------------------------------------------------------------------------------------------------

    def run(self) -> int:
        if self.lock is not None:
            return run_locked(self)
        start = time.monotonic()
        stats = FrameStats(start)
        pacer = Pacer(self.config.render.target_fps, start)
        last_pub = start
        end = start + self.args.duration if self.args.duration else None
        while not self.signals.stop:
            wait = pacer.wake_at() - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if self.gl.poll_events() or self.signals.stop:
                break
            started = time.monotonic()
            self.apply_state_messages()
            self.poll_scene()
            poses = self.latched_cameras()
            t_start = time.time()
            ages = {cam: (t_start - p.message.t_sample) * 1000.0 for cam, p in poses.items()}
            self.draw(poses, t_start)
            if self.signals.snapshot:
                self.signals.snapshot = False
                self.snapshot()
            self.gl.present()
            finished, t_done = time.monotonic(), time.time()
            latencies = []
            for cam, p in poses.items():
                key = (p.message.seq, p.message.t_pub)
                if self.used.get(cam) != key:
                    self.used[cam] = key
                    latencies.append((t_done - p.message.t_pub) * 1000.0)
            stats.frame_done(started, finished, pacer.deadline_s, pacer.period_s, ages, latencies)
            pacer.advance(started, finished)
            if finished - last_pub >= STATS_INTERVAL_S:
                last_pub = finished
                self.sockets.publish(self.stats_message(stats, finished, poses))
            if end is not None and finished >= end:
                break
        if self.args.snapshot_dir:
            self.draw(self.latched_cameras(), time.time())
            self.snapshot()
        log.info("render node %s: stopped after %d frames (%d missed)", self.args.node, stats.frame,
                 stats.missed_frames)
        return EXIT_OK

    def draw(self, poses: dict[str, LatchedPose], time_s: float) -> None:
        """Draw the frame of ``poses`` at scene time ``time_s``: the frame start on the Unix clock, so every node of
        a stage shows an animated scene in the same phase (``stage render --time`` takes the same seconds)."""
        cameras = [camera_state(p, self.priority.get(cam, 0)) for cam, p in poses.items()]
        frame = self.gl.draw(cameras, time_s)
        self.drawn = (frame, cameras)

    def snapshot(self) -> None:
        if self.args.snapshot_dir is None:
            log.warning("SIGUSR1: no --snapshot-dir, nothing written")
            return
        try:
            self.snapshots += 1
            from renderer.node_outputs import frame_record, write_snapshots

            record = frame_record(*self.drawn, self.follower.rev) if self.drawn else None
            write_snapshots(self.args.snapshot_dir, self.args.node, self.gl.images(), self.snapshots, record)
        except OSError as exc:
            log.error("snapshot not written: %s", exc)

    def stats_message(self, stats: FrameStats, now: float, poses: dict[str, LatchedPose]) -> RenderStats:
        summary = stats.interval(now)
        live = self.follower.state
        return RenderStats(
            v=WIRE_VERSION, node=self.args.node, t_pub=time.time(), uptime_s=now - stats.start_s,
            display=self.gl.display, scene=str(self.scene_path), state_rev=self.follower.rev, frame=stats.frame,
            fps=summary.fps, frame_ms_p50=summary.frame_ms_p50, frame_ms_p99=summary.frame_ms_p99,
            missed_frames=stats.missed_frames, pose_age_ms=stats.pose_age_ms,
            pose_to_frame_ms_p50=summary.pose_to_frame_ms_p50, pose_to_frame_ms_p99=summary.pose_to_frame_ms_p99,
            stale_cameras=sorted(set(self.latch.stale_cameras()) | (set(poses) if live.tracking_freeze else set())),
            rejects=dict(self.rejects.counts), state_ignored=self.follower.ignored,
            output_bits={out.name: out.bits for out in self.gl.outputs},
        )

    def close(self) -> None:
        try:
            self.loader.close()
            self.gl.close()
        finally:
            if self.lock is not None:
                self.lock.close()
            self.sockets.close()


def disable_gl_error_checks() -> bool:
    """Turn off PyOpenGL's ``glGetError`` after every GL call (a third of the Python time of a frame with many
    outputs); True when it took effect, which needs ``OpenGL.GL`` not imported yet.

    PyOpenGL 3.1.10 cannot import ``OpenGL.EGL`` with ``ERROR_CHECKING`` off (``raw/EGL/_errors.py`` leaves
    ``_error_checker`` undefined), so EGL is imported first with checks on and the flag is cleared afterwards in
    ``OpenGL._configflags``, which ``createFunction`` reads when ``OpenGL.GL`` builds its functions.
    """
    if "OpenGL.GL" in sys.modules:
        return False
    ensure_pyopengl_egl()
    try:
        import OpenGL
        import OpenGL._configflags as flags
        import OpenGL.EGL  # noqa: F401 - see above
    except (ImportError, OSError) as exc:  # no libEGL: creating the context reports it properly
        log.debug("GL error checks left on: %s", exc)
        return False
    OpenGL.ERROR_CHECKING = flags.ERROR_CHECKING = False
    return True


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from renderer.gl import GLError
    from renderer.node_outputs import NodeSetupError

    if not args.gl_checks:
        disable_gl_error_checks()
    signals = Signals()
    signals.install()
    try:
        node = Node(args, signals)
    except ConfigError as exc:
        log.error("config: %s", exc)
        return EXIT_CONFIG
    except NodeSetupError as exc:
        log.error("%s", exc)
        return EXIT_CONFIG
    except GLError as exc:
        log.error("GL: %s", exc)
        return EXIT_GL
    except Exception as exc:  # noqa: BLE001 - last resort: one line, never a traceback (-v logs it)
        log.error("render node %s cannot start: %s: %s", args.node, type(exc).__name__, " ".join(str(exc).split()),
                  exc_info=args.verbose)
        return EXIT_FAILURE
    try:
        return node.run()
    except GLError as exc:
        log.error("GL: %s", exc)
        return EXIT_GL
    finally:
        node.close()


if __name__ == "__main__":
    sys.exit(main())
