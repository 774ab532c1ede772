"""Helpers for render-node process tests: a tiny stage config, a node process, stats and pose sockets."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import zmq
from PIL import Image

from renderer.node_outputs import snapshot_path
from stage.core.wire.pose import encode_pose_dict
from stage.core.wire.render_stats import RenderStats, decode
from tests.procs import REPO, Proc, recv_frames
from tracking.pipeline import SolvedPose

NODE = "n1"
MAIN_RECT = (0, 8, 128, 64)
"""``x, y, w, h`` of wall ``main`` inside output ``o1`` (row 0 top)."""
SIDE_RECT = (140, 8, 48, 64)
"""``x, y, w, h`` of wall ``side``."""

TINY_CONFIG = f"""
name: Tiny node test stage
scene: {REPO / 'scenes' / 'demo.yaml'}
walls:
  - name: main
    kind: flat
    corners: {{lower_left: [-3.0, 4.0, 0.0], lower_right: [3.0, 4.0, 0.0], upper_left: [-3.0, 4.0, 3.0]}}
    resolution_px: [128, 64]
    output: {{node: {NODE}, offset_px: [0, 8]}}
  - name: side
    kind: flat
    corners: {{lower_left: [3.0, 4.0, 0.0], lower_right: [5.0, 2.0, 0.0], upper_left: [3.0, 4.0, 3.0]}}
    resolution_px: [48, 64]
    output: {{node: {NODE}, offset_px: [140, 8]}}
cameras:
  - id: cam1
    source: t
    sensor_mm: [24.89, 14.0]
    lens: {{kind: fixed, focal_length_mm: 24.0, entrance_pupil_m: 0.12}}
sources: [{{name: t, kind: opentrackio}}]
nodes:
  - name: {NODE}
    outputs: [{{name: o1, resolution_px: [200, 80]}}]
render:
  target_fps: 30
  inner: {{resolution_px: [160, 90], overscan_pct: 10}}
  outer: {{viewpoint_m: [0.0, 1.0, 1.7], resolution_scale: 0.5}}
"""


def write_tiny_config(directory: Path) -> Path:
    path = directory / "tiny.yaml"
    path.write_text(TINY_CONFIG)
    return path


def bound(ctx: zmq.Context, kind: int) -> tuple[zmq.Socket, str]:
    """A socket bound to a random loopback port, and its endpoint."""
    sock = ctx.socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
    if kind == zmq.SUB:
        sock.setsockopt(zmq.SUBSCRIBE, b"")
    sock.bind("tcp://127.0.0.1:*")
    return sock, sock.getsockopt(zmq.LAST_ENDPOINT).decode()


def start_node(config: Path, *args: str, env: dict[str, str] | None = None, display: str = "--headless") -> Proc:
    proc = Proc(["-m", "renderer", str(config), "--node", NODE, display, *args], env=env)
    proc.wait_for(r"render node n1: 2 walls on 1 outputs", 30.0)
    return proc


def wait_stats(sub: zmq.Socket, until: Callable[[RenderStats], bool], timeout_s: float = 10.0,
               tick: Callable[[], None] | None = None) -> RenderStats:
    """The first stats message satisfying ``until``; ``tick`` runs between polls (to keep publishing)."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        if tick is not None:
            tick()
        if sub.poll(50):
            last = decode(sub.recv_multipart())
            if until(last):
                return last
    raise AssertionError(f"no stats matching within {timeout_s}s; last: {last}")


def pose_frames(camera: str, position_m, rotation_deg, seq: int = 1) -> list[bytes]:
    """A pose message built exactly like the tracking daemon builds it."""
    now = time.time()
    pose = SolvedPose(camera=camera, source="test", seq=seq, t_sample=now, t_recv=now, position_m=tuple(position_m),
                      rotation_deg=tuple(rotation_deg), focal_length_mm=24.0, sensor_mm=(24.89, 14.0), focus_m=None,
                      entrance_pupil_m=0.12, fstop=None, timecode=None)
    return encode_pose_dict(pose.body(time.time(), stale=False))


def take_snapshot(proc: Proc, n: int) -> None:
    """Ask for snapshot number ``n`` (SIGUSR1) and wait until the node has written it."""
    import signal

    proc.signal(signal.SIGUSR1)
    proc.wait_for(rf"snapshot #{n}:", 10.0)


def snapshot(proc: Proc, directory: Path, n: int) -> np.ndarray:
    """Ask for snapshot number ``n`` (SIGUSR1) and load it, RGB uint8."""
    take_snapshot(proc, n)
    with Image.open(snapshot_path(directory, NODE, "o1", n, "png")) as image:
        return np.asarray(image.convert("RGB"))


def snapshot_record(directory: Path, n: int) -> dict:
    """The frame record (``<node>-frame.NNNN.json``) written with snapshot number ``n``."""
    return json.loads(snapshot_path(directory, NODE, "frame", n, "json").read_text())


def region(image: np.ndarray, rect: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = rect
    return image[y:y + h, x:x + w]


def stop(proc: Proc, timeout_s: float = 10.0) -> int:
    import signal

    proc.signal(signal.SIGTERM)
    rc = proc.wait(timeout_s)
    assert not any("Traceback" in line for line in proc.lines), "\n".join(proc.lines)
    return rc


__all__ = ["MAIN_RECT", "NODE", "SIDE_RECT", "bound", "pose_frames", "recv_frames", "region", "snapshot",
           "snapshot_record", "start_node", "stop", "wait_stats", "write_tiny_config"]


def headless_node_image(config_path: Path, time_s: float = 0.0, cameras: list | None = None,
                        live=None) -> tuple[dict[str, int], np.ndarray]:
    """Node ``n1`` of ``config_path`` drawn once headless in this process (its own EGL context; make yours current
    again afterwards): each output's bits, and output ``o1`` as read (RGBA, uint8 or uint16)."""
    from renderer.node_outputs import NodeRenderer
    from stage.core.config.loader import load_scene_config, load_stage_config
    from stage.core.live import LiveState

    config = load_stage_config(config_path)
    node = NodeRenderer(config, load_scene_config(config.scene), NODE, "headless",
                        live or LiveState.from_config(config))
    try:
        node.draw(list(cameras or []), time_s)
        return node.bits, node.images()["o1"]
    finally:
        node.close()
