"""The frame log: ``DIR/<node>.frames.jsonl``, one JSON line per presented frame, so any frame of any node can be
traced to its inputs.

Each line: ``frame``, ``poses`` (camera → pose ``seq``), ``state_rev``, ``t_present`` (Unix seconds), and the
rest of the frame's timeline: ``t_frame`` (due), ``t_latch``, ``t_frame_recv``, ``t_render_start``,
``t_render_end``, ``t_release`` (leader), ``t_release_recv``; ``pose_t`` (camera → ``[t_sample, t_recv,
t_pub]``); ``pose_position_m`` and ``pose_rotation_deg`` (camera → the position and ``[pan, tilt, roll]`` the frame
was rendered from: the latched pose, predicted to the present time for ``latency.mode: present``); ``leader``;
``in_barrier`` (whether this node was among the members released together). Lines are flushed one by one, so a
killed node leaves every frame it presented.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson


def frame_log_path(directory: Path, node: str) -> Path:
    return Path(directory) / f"{node}.frames.jsonl"


class FrameLog:
    """Appends lines to ``DIR/<node>.frames.jsonl`` (creating ``DIR``)."""

    def __init__(self, directory: Path, node: str) -> None:
        self.path = frame_log_path(directory, node)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("ab")

    def write(self, record: dict[str, Any]) -> None:
        self._file.write(orjson.dumps(record) + b"\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def read_frame_log(path: Path) -> list[dict[str, Any]]:
    """Every complete line of a frame log (a torn last line, from a killed writer, is left out)."""
    out = []
    for line in Path(path).read_bytes().split(b"\n"):
        if not line:
            continue
        try:
            out.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue
    return out
