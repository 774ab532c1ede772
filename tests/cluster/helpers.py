"""Test helpers for the frame lock: valid pose bodies, and the inputs a leader latches from (a pose PUB and a state
PUB on random loopback ports, fed by a thread)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import zmq

from stage.core.cluster.frame_log import read_frame_log
from stage.core.keys import secure, stop_authenticator
from stage.core.live import LiveState
from stage.core.wire.pose import WIRE_VERSION, encode_pose_dict
from stage.core.wire.state import encode_snapshot
from tests.procs import REPO, Proc, free_tcp_port

IDENTITY = ((1.0, 0.0, 0.0, 0.0), (0.0, 1.0, 0.0, 0.0), (0.0, 0.0, 1.0, 0.0), (0.0, 0.0, 0.0, 1.0))


def pose_body(camera: str, seq: int, x_m: float = 0.0) -> dict:
    now = time.time()
    return {
        "v": WIRE_VERSION, "camera": camera, "source": "sim", "seq": seq, "t_sample": now - 0.002,
        "t_recv": now - 0.001, "t_pub": now, "position_m": [x_m, 0.0, 1.5], "rotation_deg": [0.0, 0.0, 0.0],
        "world_from_camera": [list(r) for r in IDENTITY], "focal_length_mm": 35.0, "sensor_mm": [36.0, 24.0],
        "focus_m": None, "entrance_pupil_m": 0.0, "fstop": None, "timecode": None, "stale": False,
    }


class Inputs:
    """A pose PUB (cameras ``cam1``, ``cam2`` at about 250 Hz) and a state PUB (a new snapshot revision every
    40 ms), each on a random port of ``bind`` (loopback by default), until :meth:`close`."""

    def __init__(self, cameras: tuple[str, ...] = ("cam1", "cam2"), bind: str = "127.0.0.1",
                 live: dict | None = None) -> None:
        self.live = live or {}
        """Extra live-state fields of every snapshot (``camera_delay_ms``, ``tracking_freeze``)."""
        self.context = zmq.Context()
        self.pose = self.context.socket(zmq.PUB)
        self.pose.setsockopt(zmq.LINGER, 0)
        secure(self.pose, f"tcp://{bind}:0", server=True)  # CURVE off loopback, as the daemon's
        port = self.pose.bind_to_random_port(f"tcp://{bind}")
        self.pose_endpoint = f"tcp://{bind}:{port}"
        self.state = self.context.socket(zmq.PUB)
        self.state.setsockopt(zmq.LINGER, 0)
        secure(self.state, f"tcp://{bind}:0", server=True)
        port = self.state.bind_to_random_port(f"tcp://{bind}")
        self.state_endpoint = f"tcp://{bind}:{port}"
        self.cameras = cameras
        self.seq = 0
        self.rev = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        next_state = 0.0
        while not self._stop.is_set():
            self.seq += 1
            for camera in self.cameras:
                self.pose.send_multipart(encode_pose_dict(pose_body(camera, self.seq, self.seq * 0.001)))
            now = time.monotonic()
            if now >= next_state:
                next_state = now + 0.04
                self.rev += 1
                state = LiveState(exposure_ev=(self.rev % 20) / 10.0, **self.live)
                self.state.send_multipart(encode_snapshot(self.rev, state))
            self._stop.wait(0.004)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.pose.close(linger=0)
        self.state.close(linger=0)
        stop_authenticator(self.context)
        self.context.term()


def wait_for_log(path: Path, condition, what: str, timeout_s: float = 90.0) -> list[dict]:
    """The lines of a frame log once ``condition(lines)`` holds; AssertionError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        lines = read_frame_log(path) if path.exists() else []
        if condition(lines):
            return lines
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; {len(lines)} lines in {path.name}")
        time.sleep(0.05)


def frame_logs(directory: Path, nodes: list[str]) -> dict[str, dict[int, dict]]:
    """Node → frame number → its frame-log line."""
    return {n: {x["frame"]: x for x in read_frame_log(directory / f"{n}.frames.jsonl")} for n in nodes}


def check_presented_as_released(records: list[dict], frames: dict[str, dict[int, dict]], killed: str | None = None,
                                dropped_at: int | None = None) -> int:
    """Every node the clock released a frame to (``records``: the clock's frame log) presented that frame from the
    latched poses and state revision, in the barrier; returns how many (node, frame) pairs were checked. The
    ``killed`` node's frames between its last logged frame and ``dropped_at`` are skipped: it reported ready, then
    was SIGKILLed before it presented. A node's frames after its last logged one are skipped too: the test stopped
    it (SIGTERM) between its ready report and its present."""
    last_before_kill = max((f for f in frames[killed] if f < dropped_at), default=-1) if killed else -1
    last_logged = {name: max(logged, default=-1) for name, logged in frames.items()}
    last_released = {name: record["frame"] for record in records for name in record["ready"]}
    checked = 0
    for record in records:
        if record["ready"]:  # before any node joins the clock may not have its inputs yet
            assert record["poses"] and record["state_rev"] >= 0
        for name in record["ready"]:
            if name == killed and last_before_kill < record["frame"] < dropped_at:
                continue
            if record["frame"] == last_released[name] > last_logged.get(name, -1):
                continue  # the node's last release: it was stopped before presenting it
            line = frames[name].get(record["frame"])
            assert line is not None, f"{name} was released for frame {record['frame']} but did not present it"
            assert line["poses"] == record["poses"] and line["state_rev"] == record["state_rev"]
            assert line["in_barrier"] is True and line["leader"] == record["leader"]
            checked += 1
    return checked


def write_stage(tmp_path: Path, text: str) -> Path:
    """``text`` as ``tmp_path/configs/stage.yaml`` beside a copy of the demo scene (``../scenes/demo.yaml``)."""
    (tmp_path / "scenes").mkdir(exist_ok=True)
    (tmp_path / "scenes" / "demo.yaml").write_text((REPO / "scenes" / "demo.yaml").read_text())
    (tmp_path / "configs").mkdir(exist_ok=True)
    path = tmp_path / "configs" / "stage.yaml"
    path.write_text(text)
    return path


def render_config(directory: Path, inputs: Inputs, nodes: list[str], barrier_timeout_ms: float = 5000) -> Path:
    """A stage config with one 48×72 wall per node of ``nodes`` (real render nodes), frame lock at 20 fps on random
    loopback ports, latching from ``inputs``; written to ``directory/stage.yaml``."""
    frames, ready = f"tcp://127.0.0.1:{free_tcp_port()}", f"tcp://127.0.0.1:{free_tcp_port()}"
    walls, node_lines = [], []
    for i, name in enumerate(nodes):
        x0, x1 = -3.0 + 2.0 * i, -1.0 + 2.0 * i
        walls.append(f"""  - name: w{i + 1}
    kind: flat
    corners: {{lower_left: [{x0}, 4.0, 0.0], lower_right: [{x1}, 4.0, 0.0], upper_left: [{x0}, 4.0, 3.0]}}
    resolution_px: [48, 72]
    output: {{node: {name}, offset_px: [0, 0]}}
""")
        node_lines.append(f"  - name: {name}\n    outputs: [{{name: o1, resolution_px: [48, 72]}}]\n")
    text = f"""name: Frame-lock test stage
scene: {REPO / 'scenes' / 'demo.yaml'}
walls:
{''.join(walls)}cameras:
  - id: cam1
    source: t
    sensor_mm: [24.89, 14.0]
    lens: {{kind: fixed, focal_length_mm: 24.0, entrance_pupil_m: 0.12}}
sources: [{{name: t, kind: opentrackio, port: {free_tcp_port()}}}]
nodes:
{''.join(node_lines)}render:
  inner: {{resolution_px: [64, 36], overscan_pct: 10}}
  outer: {{viewpoint_m: [0.0, 1.0, 1.7], resolution_scale: 0.25}}
endpoints:
  pose: {inputs.pose_endpoint}
  state: {inputs.state_endpoint}
  render_stats: tcp://127.0.0.1:{free_tcp_port()}
control:
  endpoint: tcp://127.0.0.1:{free_tcp_port()}
cluster:
  frame_lock: true
  frame_rate: 20
  barrier_timeout_ms: {barrier_timeout_ms}
  frames: {frames}
  ready: {ready}
"""
    path = directory / "stage.yaml"
    path.write_text(text)
    return path


def stop_cleanly(procs: dict[str, Proc], names: list[str] | None = None) -> None:
    """SIGTERM ``names`` (default: all) in that order; each must exit 0 (its last log lines in the failure)."""
    for name in names or list(procs):
        procs[name].signal()
        assert procs[name].wait(30) == 0, f"{name}:\n" + "\n".join(procs[name].lines[-20:])


@contextmanager
def processes(inputs: Inputs) -> Iterator[dict[str, Proc]]:
    """A name → process dict for a test's show; on the way out every process left is killed and ``inputs`` closed."""
    procs: dict[str, Proc] = {}
    try:
        yield procs
    finally:
        for proc in procs.values():
            proc.kill()
        inputs.close()
