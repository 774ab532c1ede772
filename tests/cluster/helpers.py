"""Test helpers for the frame lock: valid pose bodies, and the inputs a leader latches from (a pose PUB and a state
PUB on random loopback ports, fed by a thread)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import zmq

from stage.core.cluster.frame_log import read_frame_log
from stage.core.keys import secure, stop_authenticator
from stage.core.live import LiveState
from stage.core.wire.pose import WIRE_VERSION, encode_pose_dict
from stage.core.wire.state import encode_snapshot

REPO = Path(__file__).resolve().parents[2]
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
    was SIGKILLed before it presented."""
    last_before_kill = max((f for f in frames[killed] if f < dropped_at), default=-1) if killed else -1
    checked = 0
    for record in records:
        if record["ready"]:  # before any node joins the clock may not have its inputs yet
            assert record["poses"] and record["state_rev"] >= 0
        for name in record["ready"]:
            if name == killed and last_before_kill < record["frame"] < dropped_at:
                continue
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
