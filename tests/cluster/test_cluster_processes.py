"""The frame lock as real processes: ``stage clock`` and three null render nodes (``python -m
stage.core.cluster.null_node``), frame logs on disk. SIGKILL one node: the other two keep presenting, and the restarted
node rejoins with matching frames. Assertions come from the frame logs only; nothing is timed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stage.core.cluster.frame_log import read_frame_log
from tests.cluster.helpers import Inputs, check_presented_as_released, frame_logs, wait_for_log
from tests.procs import REPO, Proc, free_tcp_port

TIMEOUT_S = 90.0


def _config(tmp_path: Path, inputs: Inputs, frames: str, ready: str) -> Path:
    text = (REPO / "configs" / "demo.yaml").read_text().replace("../scenes/demo.yaml", str(REPO / "scenes/demo.yaml"))
    text += (f"endpoints:\n  pose: {inputs.pose_endpoint}\n  state: {inputs.state_endpoint}\n"
             f"  render_stats: tcp://127.0.0.1:{free_tcp_port()}\n"
             f"control:\n  endpoint: tcp://127.0.0.1:{free_tcp_port()}\n"
             f"cluster:\n  frame_lock: true\n  frame_rate: 59.94\n  barrier_timeout_ms: 200\n"
             f"  frames: {frames}\n  ready: {ready}\n")
    path = tmp_path / "stage.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def inputs():
    source = Inputs()
    yield source
    source.close()


def test_kill_one_node_the_others_keep_presenting_and_it_rejoins(tmp_path: Path, inputs: Inputs) -> None:
    frames, ready = f"tcp://127.0.0.1:{free_tcp_port()}", f"tcp://127.0.0.1:{free_tcp_port()}"
    config = _config(tmp_path, inputs, frames, ready)
    logs = tmp_path / "frames"
    clock_log = logs / "_clock.frames.jsonl"
    procs: dict[str, Proc] = {}

    def node(name: str) -> Proc:
        return Proc(["-m", "stage.core.cluster.null_node", "--node", name, "--frames", frames, "--ready", ready,
                     "--frame-log", str(logs)])

    def together(lines: list[dict], names: list[str], after: int = -1) -> list[dict]:
        return [x for x in lines if x["ready"] == names and x["frame"] > after]

    try:
        procs["clock"] = Proc(["-m", "stage.app.cli", "clock", str(config), "--frame-log", str(logs)])
        procs["clock"].wait_for(r"stage clock: 60000/1001 \(59\.940\) fps")
        for name in ("a", "b", "c"):
            procs[name] = node(name)
        wait_for_log(clock_log, lambda lines: len(together(lines, ["a", "b", "c"])) >= 30, "three nodes in the barrier")
        procs["c"].kill()
        lines = wait_for_log(clock_log, lambda lines: any("c" in x["dropped"] for x in lines), "c dropped")
        dropped_at = next(x["frame"] for x in lines if "c" in x["dropped"])
        wait_for_log(clock_log, lambda lines: len(together(lines, ["a", "b"], dropped_at)) >= 30, "a and b without c")
        procs["c"] = node("c")
        lines = wait_for_log(clock_log, lambda lines: len(together(lines, ["a", "b", "c"], dropped_at)) >= 30,
                          "c rejoined")
        for proc in procs.values():
            proc.signal()
        for name, proc in procs.items():
            assert proc.wait(20) == 0, f"{name} exit\n" + "\n".join(proc.lines)
    finally:
        for proc in procs.values():
            proc.kill()
    released = read_frame_log(clock_log)
    nodes = frame_logs(logs, ["a", "b", "c"])
    drop = next(x for x in released if x["frame"] == dropped_at)
    assert sorted(drop["ready"]) == ["a", "b"]  # the frame c missed was released to the other two
    assert check_presented_as_released(released, nodes, killed="c", dropped_at=dropped_at) >= 3 * 60 + 2 * 30
    restarted_at = min(f for f in nodes["c"] if f > dropped_at)  # the killed node's log has both of its lives
    assert min(nodes["c"]) < dropped_at
    while_dead = [x for x in together(released, ["a", "b"], dropped_at) if x["frame"] < restarted_at]
    assert len(while_dead) >= 30  # a and b kept presenting (checked above) while c was dead
    assert len(together(released, ["a", "b", "c"], restarted_at)) >= 30


def test_clock_on_a_taken_port_is_one_line_and_exit_2(tmp_path: Path, inputs: Inputs) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        frames = f"tcp://127.0.0.1:{taken.getsockname()[1]}"
        config = _config(tmp_path, inputs, frames, f"tcp://127.0.0.1:{free_tcp_port()}")
        proc = subprocess.run([sys.executable, "-m", "stage.app.cli", "clock", str(config)], capture_output=True,
                              text=True, timeout=60, cwd=REPO)
    errors = [line for line in proc.stderr.splitlines() if "error" in line]
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(errors) == 1 and errors[0].startswith("stage clock: error: cannot bind " + frames)
