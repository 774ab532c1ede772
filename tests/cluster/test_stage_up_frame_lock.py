"""``stage up`` with ``cluster.frame_lock``: it supervises the frame clock beside the tracking daemon and three
headless render nodes; ``stage status`` shows the cluster; a SIGKILLed node is restarted by the supervisor and
rejoins with matching frames. Checked from the frame logs (``--frame-log``) and the status document; nothing is
timed."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from stage.core.cluster.frame_log import read_frame_log
from tests.cluster.helpers import check_presented_as_released, frame_logs, wait_for_log
from tests.orchestrator.test_stage_up import Stage, wait_until
from tests.procs import REPO, free_tcp_port

pytestmark = [pytest.mark.gl, pytest.mark.timeout(400)]
NODES = ["n1", "n2", "n3"]


def _config(directory: Path) -> Path:
    walls, nodes = [], []
    for i, name in enumerate(NODES):
        x0, x1 = -3.0 + 2.0 * i, -1.0 + 2.0 * i
        walls.append(f"  - name: w{i + 1}\n    kind: flat\n"
                     f"    corners: {{lower_left: [{x0}, 4.0, 0.0], lower_right: [{x1}, 4.0, 0.0], "
                     f"upper_left: [{x0}, 4.0, 3.0]}}\n    resolution_px: [48, 72]\n"
                     f"    output: {{node: {name}, offset_px: [0, 0]}}\n")
        nodes.append(f"  - name: {name}\n    outputs: [{{name: o1, resolution_px: [48, 72]}}]\n")
    text = (f"name: Frame-lock stage\nscene: {REPO / 'scenes' / 'demo.yaml'}\nwalls:\n{''.join(walls)}"
            "cameras:\n  - id: cam1\n    source: sim\n    sensor_mm: [24.89, 14.0]\n"
            "    lens: {kind: fixed, focal_length_mm: 24.0, entrance_pupil_m: 0.12}\n"
            "sources:\n  - {name: sim, kind: simulated, move: orbit, rate_hz: 60, center_m: [0.0, 0.5, 1.6], "
            "target_m: [0.0, 4.0, 1.5]}\n"
            f"nodes:\n{''.join(nodes)}"
            "render:\n  inner: {resolution_px: [64, 36], overscan_pct: 10}\n"
            "  outer: {viewpoint_m: [0.0, 1.0, 1.7], resolution_scale: 0.25}\n"
            f"endpoints:\n  pose: tcp://127.0.0.1:{free_tcp_port()}\n  state: tcp://127.0.0.1:{free_tcp_port()}\n"
            f"  render_stats: tcp://127.0.0.1:{free_tcp_port()}\n"
            "cluster:\n  frame_lock: true\n  frame_rate: 20\n  barrier_timeout_ms: 2000\n"
            f"  frames: tcp://127.0.0.1:{free_tcp_port()}\n  ready: tcp://127.0.0.1:{free_tcp_port()}\n")
    path = directory / "stage.yaml"
    path.write_text(text)
    return path


def test_stage_up_runs_the_clock_and_restarts_a_killed_node_into_the_lock(tmp_path: Path) -> None:
    _config(tmp_path)
    logs = tmp_path / "frames"
    clock_log = logs / "_clock.frames.jsonl"
    st = Stage(tmp_path, args=("--frame-log", str(logs)))
    try:
        wait_for_log(clock_log, lambda lines: sum(x["ready"] == NODES for x in lines) >= 60,
                     "three nodes in the barrier", timeout_s=180)
        doc = wait_until("cluster in status", lambda: (s := st.status())["cluster"] and len(
            s["cluster"]["nodes"]) == 3 and s, 20.0)
        assert set(doc["processes"]) == {"tracking", "clock", "render-n1", "render-n2", "render-n3"}
        assert all(n["state"] == "in" and n["frames"] > 0 for n in doc["cluster"]["nodes"].values())
        assert doc["cluster"]["cameras"]["cam1"]["samples"] > 0
        status_text = st.cli("status").stdout
        assert "frame lock: 20 fps" in status_text and "  phase lock: " in status_text
        assert doc["cluster"]["phase_lock"]["state"] in ("locked", "slewing", "unlocked")
        victim = doc["processes"]["render-n2"]["pid"]
        st.seen_pids.update(st.pids())
        os.kill(victim, signal.SIGKILL)
        lines = wait_for_log(clock_log, lambda lines: any("n2" in x["dropped"] for x in lines), "n2 dropped")
        dropped_at = next(x["frame"] for x in lines if "n2" in x["dropped"])
        wait_for_log(clock_log, lambda lines: sum(x["ready"] == NODES and x["frame"] > dropped_at
                                                  for x in lines) >= 30, "n2 restarted into the lock",
                     timeout_s=180)
        st.seen_pids.update(st.pids())
        assert st.status()["processes"]["render-n2"]["restarts"] >= 1
    finally:
        st.close()
    records = read_frame_log(clock_log)
    checked = check_presented_as_released(records, frame_logs(logs, NODES), killed="n2", dropped_at=dropped_at)
    assert checked >= 3 * 60 + 3 * 30
    assert next(x for x in records if x["frame"] == dropped_at)["ready"] == ["n1", "n3"]
