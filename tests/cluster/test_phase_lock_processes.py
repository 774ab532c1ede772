"""The phase lock and the process priority with real processes: ``stage track`` (the demo stage's simulated camera
at 60 Hz), ``stage clock`` at 60 fps and a null render node, frame logs on disk.

The lock is reached and, once locked, the pose the clock latches is a guard old instead of anywhere up to a frame
(without the lock the age is fixed by the phase the processes happened to start with). Frames stay consecutive
and every node presents the due times the frame messages carry."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from stage.core.cluster.frame_log import read_frame_log
from stage.core.priority import CLOCK_BOOST, FIFO_PRIORITY, HIGH_NICE, process_priority
from tests.cluster.helpers import frame_logs, wait_for_log
from tests.procs import REPO, Proc, free_tcp_port

LOCKED_FRAMES = 120


def _config(tmp_path: Path, priority: str = "normal") -> Path:
    data = yaml.safe_load((REPO / "configs" / "demo.yaml").read_text())
    data["scene"] = str(REPO / "scenes" / "demo.yaml")
    data["endpoints"] = {"pose": f"tcp://127.0.0.1:{free_tcp_port()}",
                         "state": f"tcp://127.0.0.1:{free_tcp_port()}",
                         "render_stats": f"tcp://127.0.0.1:{free_tcp_port()}"}
    data.setdefault("control", {})["endpoint"] = f"tcp://127.0.0.1:{free_tcp_port()}"
    data["cluster"] = {"frame_lock": True, "frame_rate": 60, "barrier_timeout_ms": 200, "priority": priority,
                       "frames": f"tcp://127.0.0.1:{free_tcp_port()}", "ready": f"tcp://127.0.0.1:{free_tcp_port()}"}
    path = tmp_path / "stage.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _locked(lines: list[dict]) -> list[dict]:
    """The frames released while locked."""
    return [x for x in lines if x["phase_lock"] == "locked"]


def test_the_grid_locks_to_the_tracker_and_the_latched_pose_is_fresh(tmp_path: Path) -> None:
    config = _config(tmp_path)
    cluster = yaml.safe_load(config.read_text())["cluster"]
    logs = tmp_path / "frames"
    clock_log = logs / "_clock.frames.jsonl"
    procs: list[Proc] = []
    try:
        procs.append(Proc(["-m", "stage.app.cli", "track", str(config)]))
        procs.append(Proc(["-m", "stage.app.cli", "clock", str(config), "--frame-log", str(logs)]))
        procs.append(Proc(["-m", "stage.core.cluster.null_node", "--node", "n0", "--frames", cluster["frames"],
                           "--ready", cluster["ready"], "--frame-log", str(logs)]))
        lines = wait_for_log(clock_log, lambda lines: len(_locked(lines)) >= LOCKED_FRAMES, "the phase lock",
                             timeout_s=120.0)
        for proc in procs:
            proc.signal()
        for proc in procs:
            proc.wait(20)
    finally:
        for proc in procs:
            proc.kill()
    released = read_frame_log(clock_log)
    frames = [x["frame"] for x in released]
    assert frames == sorted(set(frames))  # increasing, never repeated
    states = [x["phase_lock"] for x in released]
    assert states[0] == "unlocked" and "locked" in states
    due = np.array([x["t_frame"] for x in released])
    step = np.diff(due) / np.diff(frames)
    assert np.all(np.abs(step - 1 / 60) <= 0.011 / 60)  # the grid moved at most 1 % of a period per frame
    locked = _locked(lines)
    assert any(abs(x["grid_offset_ms"]) > 0.0 for x in locked)
    ages_ms = [(x["t_latch"] - x["pose_t"]["cam1"][2]) * 1000.0 for x in locked if "cam1" in x["pose_t"]]
    assert len(ages_ms) >= LOCKED_FRAMES // 2
    assert float(np.median(ages_ms)) < 1000.0 / 60 / 2, ages_ms  # a guard after the pose, not up to a frame
    node = frame_logs(logs, ["n0"])["n0"]
    by_frame = {x["frame"]: x for x in released}
    shown = [f for f in node if f in by_frame]
    assert shown and all(node[f]["t_frame"] == by_frame[f]["t_frame"] for f in shown)  # the times the message carries


@pytest.mark.skipif(os.geteuid() != 0, reason="SCHED_FIFO and negative nice need root (CI runs as root)")
def test_processes_report_the_priority_they_were_given(tmp_path: Path) -> None:
    config = _config(tmp_path, priority="realtime")
    cluster = yaml.safe_load(config.read_text())["cluster"]
    procs: list[Proc] = []
    try:
        clock = Proc(["-m", "stage.app.cli", "clock", str(config)])
        procs.append(clock)
        clock.wait_for(r"stage clock: 60 fps")
        node = Proc(["-m", "stage.core.cluster.null_node", "--node", "n0", "--frames", cluster["frames"],
                     "--ready", cluster["ready"], "--priority", "high"])
        procs.append(node)
        node.wait_for(r"null node n0 following")
        assert process_priority(clock.popen.pid) == ("fifo", 0)
        assert os.sched_getparam(clock.popen.pid).sched_priority == FIFO_PRIORITY + CLOCK_BOOST
        assert process_priority(node.popen.pid) == ("other", HIGH_NICE)
        threads = os.listdir(f"/proc/{clock.popen.pid}/task")
        assert len(threads) > 1  # ZeroMQ's I/O thread carries the messages: it has the priority too
        assert all(os.sched_getscheduler(int(t)) == os.SCHED_FIFO for t in threads)
        # the tracking daemon of a frame-locked stage runs at the clock's priority: the clock latches what it publishes
        track = Proc(["-m", "stage.app.cli", "track", str(config)])
        procs.append(track)
        track.wait_for(r"tracking daemon publishing")
        assert process_priority(track.popen.pid) == ("fifo", 0)
        assert os.sched_getparam(track.popen.pid).sched_priority == FIFO_PRIORITY + CLOCK_BOOST
    finally:
        for proc in procs:
            proc.kill()
