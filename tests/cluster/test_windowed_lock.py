"""A windowed render node (glfw on an Xvfb of its own; two outputs, so two windows and contexts) and a headless one
in frame lock, real processes: ``stage clock`` and two ``stage node``. Both present every released frame from the
identical poses and state revision (from the frame logs); the windowed node's present is the buffer swap (swap
interval 1) begun after the release, the headless node's is the release. Minimised (what a window manager does:
unmap, ``WM_STATE`` iconic), the windows are not swapped and the node stays in the barrier; closed
(``WM_DELETE_WINDOW``), the node exits 0, the clock drops it at its timeout and the headless node goes on alone.
Nothing is timed."""

from __future__ import annotations

from pathlib import Path

import pytest

from stage.core.cluster.frame_log import read_frame_log
from tests.cluster.helpers import (
    Inputs,
    check_presented_as_released,
    frame_logs,
    processes,
    render_config,
    stop_cleanly,
    wait_for_log,
)
from tests.procs import Proc

pytestmark = [pytest.mark.gl, pytest.mark.windowed, pytest.mark.timeout(400)]
NODES = ["head", "win"]
"""Sorted, as the clock logs ``ready``."""


def _presented(path: Path, how: str) -> int:
    return sum(x.get("present") == how for x in read_frame_log(path)) if path.exists() else 0


def test_windowed_and_headless_nodes_present_the_same_frames(tmp_path: Path, xvfb_display: str) -> None:
    from tests.cluster.x11_wm import WindowManager

    inputs = Inputs(cameras=("cam1",))
    config = render_config(tmp_path, inputs, NODES, barrier_timeout_ms=3000)
    one = "  - name: win\n    outputs: [{name: o1, resolution_px: [48, 72]}]\n"
    text = config.read_text()
    assert one in text
    config.write_text(text.replace(one, "  - name: win\n    outputs: [{name: o1, resolution_px: [48, 72]}, "
                                        "{name: o2, resolution_px: [32, 32]}]\n"))  # two windows, two contexts
    logs = tmp_path / "frames"
    clock_log, win_log = logs / "_clock.frames.jsonl", logs / "win.frames.jsonl"
    wm = WindowManager(xvfb_display)
    with processes(inputs) as procs:
        procs["clock"] = Proc(["-m", "stage.app.cli", "clock", str(config), "--frame-log", str(logs)])
        procs["clock"].wait_for(r"stage clock: 20 fps")
        procs["head"] = Proc(["-m", "stage.app.cli", "node", str(config), "--node", "head", "--headless",
                              "--frame-log", str(logs)])
        procs["win"] = Proc(["-m", "stage.app.cli", "node", str(config), "--node", "win", "--windowed",
                             "--frame-log", str(logs)], env={"DISPLAY": xvfb_display, "WAYLAND_DISPLAY": ""})
        procs["win"].wait_for(r"render node win: 1 walls on 2 outputs \(windowed\)", 60)
        windows = [wm.find("win o1"), wm.find("win o2")]
        wait_for_log(clock_log, lambda lines: sum(x["ready"] == NODES for x in lines) >= 60, "60 frames of both",
                     timeout_s=180)

        for window in windows:
            wm.minimise(window)
        wait_for_log(win_log, lambda lines: sum(x.get("present") == "hidden" for x in lines) >= 20,
                     "20 frames presented minimised")
        for window in windows:
            wm.restore(window)
        swapped = _presented(win_log, "swap")
        wait_for_log(win_log, lambda lines: sum(x.get("present") == "swap" for x in lines) >= swapped + 20,
                     "20 frames swapped after the restore")

        wm.close(windows[0])
        assert procs["win"].wait(30) == 0, "\n".join(procs["win"].lines[-20:])
        procs["win"].wait_for(r"render node win: window closed: leaving the frame lock")
        last_win = max(read_frame_log(win_log)[-1]["frame"], 0)
        lines = wait_for_log(clock_log, lambda lines: any(x["members"] == ["head"] and x["frame"] > last_win
                                                          for x in lines), "win out of the barrier")
        left_at = next(x["frame"] for x in lines if x["members"] == ["head"] and x["frame"] > last_win)
        wait_for_log(clock_log, lambda lines: sum(x["ready"] == ["head"] and x["frame"] > left_at
                                                  for x in lines) >= 20, "head alone after win left")
        stop_cleanly(procs, ["clock", "head"])
    wm.disconnect()

    records = read_frame_log(clock_log)
    frames = frame_logs(logs, NODES)
    assert check_presented_as_released(records, frames) >= 2 * (60 + 20 + 20) + 20
    both = sorted(set(frames["head"]) & set(frames["win"]))
    assert len(both) >= 100
    for number in both:  # the same frame from both logs: same inputs, in the barrier together
        head, win = frames["head"][number], frames["win"][number]
        assert (head["poses"], head["state_rev"], head["t_release"]) == (win["poses"], win["state_rev"],
                                                                          win["t_release"])
    assert {x["present"] for x in frames["head"].values()} == {"release"}
    assert {x["present"] for x in frames["win"].values()} == {"swap", "hidden"}
    for line in frames["win"].values():
        assert line["swap_interval"] == 1
        assert line["t_render_end"] <= line["t_release_recv"] <= line["t_swap"] <= line["t_present"]
    hidden = [n for n, x in frames["win"].items() if x["present"] == "hidden"]
    assert all(next(r for r in records if r["frame"] == n)["ready"] == NODES for n in hidden), \
        "the minimised window's node stayed in the barrier"
    assert max(frames["win"]) < left_at
    assert sum(x["ready"] == ["head"] and x["frame"] > left_at for x in records) >= 20
    assert not any(x["dropped"] for x in records), "the closed window's node left; nobody waited a barrier timeout"
