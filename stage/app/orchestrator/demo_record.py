"""What ``stage demo`` records while the show runs: the pose stream (:class:`PoseRecorder`) and the moments it
snapshots (:class:`Moment`). Shared by the run (:mod:`demo_run`) and the report (:mod:`demo_report`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import zmq

from stage.core.live import LiveState
from stage.core.wire.pose import PoseMessage, WireError, decode_pose


@dataclass
class Moment:
    index: int
    t_s: float
    poses: dict[str, PoseMessage]
    live: LiveState
    mtimes: dict[Path, int]
    asked_s: float
    files: list[Path] = field(default_factory=list)



class PoseRecorder:
    """Listens to the pose stream: newest pose per camera, arrival ages (ms), rate."""

    def __init__(self, endpoint: str):
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.SUB)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.SUBSCRIBE, b"pose/")
        self.socket.connect(endpoint)
        self.last: dict[str, PoseMessage] = {}
        self.ages_ms: list[float] = []
        self.times: list[float] = []

    def drain(self) -> None:
        while True:
            try:
                frames = self.socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            try:
                pose = decode_pose(frames)
            except WireError:
                continue
            old = self.last.get(pose.camera)
            if old is not None and old.seq == pose.seq:
                continue  # a late-joiner re-send
            now = time.time()
            self.last[pose.camera] = pose
            self.ages_ms.append((now - pose.t_sample) * 1000.0)
            self.times.append(now)

    def rate_hz(self) -> float:
        if len(self.times) < 2 or self.times[-1] <= self.times[0]:
            return 0.0
        return (len(self.times) - 1) / (self.times[-1] - self.times[0])

    def close(self) -> None:
        self.socket.close(linger=0)
        self.context.term()
