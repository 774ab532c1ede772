"""``stage reload`` applies an edit or changes nothing: a restart that could not start leaves the old config in
place, and reloading never blocks the control loop on a slow child."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

from stage.config.loader import load_stage_config
from stage.orchestrator import children as ch
from stage.orchestrator.handlers import reload_config
from stage.orchestrator.health import Health
from stage.orchestrator.supervisor import ChildSpec, Supervisor

STAGE_YAML = """
name: reload
walls:
  - {name: w, kind: flat, resolution_px: [64, 32], output: {node: n},
     corners: {lower_left: [-2, 4, 0], lower_right: [2, 4, 0], upper_left: [-2, 4, 2]}}
nodes: [{name: n, outputs: [{name: o, resolution_px: [64, 32]}]}]
render: {target_fps: 30}
sources: [{name: sim, kind: simulated, move: orbit}]
cameras: [{id: A, source: sim, sensor_mm: [36, 24], lens: {kind: fixed, focal_length_mm: 35}}]
"""
SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


class FakeOrchestrator(SimpleNamespace):
    """What ``reload_config`` uses of the orchestrator, with a real supervisor and real children."""

    def error(self, text: str) -> None:
        self.errors.append(text)

    def reconnect_tracking(self, endpoint: str) -> None:
        self.reconnected.append(endpoint)


def _orchestrator(tmp_path: Path) -> FakeOrchestrator:
    config_file = tmp_path / "stage.yaml"
    config_file.write_text(STAGE_YAML)
    config = load_stage_config(config_file)
    sup = Supervisor(tmp_path / "logs", stop_timeout_s=1.0, refresh=lambda name: ChildSpec(name, SLEEPER))
    sup.add(ChildSpec(ch.TRACKING, SLEEPER))
    sup.add(ChildSpec(ch.node_child("n"), SLEEPER))
    written: list[str] = []
    return FakeOrchestrator(
        config_file=config_file, config=config, config_text=STAGE_YAML, supervisor=sup, errors=[], reconnected=[],
        running=SimpleNamespace(write=written.append, written=written),
        state_pub=SimpleNamespace(frame_period_s=1 / 30), health=Health(["n"]),
        endpoints=SimpleNamespace(pose=config.endpoints.pose),
    )


def test_a_restart_that_cannot_start_changes_nothing(tmp_path: Path) -> None:
    orch = _orchestrator(tmp_path)
    try:
        before, pids = orch.config, {n: c.pid for n, c in orch.supervisor.children.items()}
        orch.config_file.write_text(STAGE_YAML.replace("target_fps: 30", "target_fps: 25"))
        (tmp_path / "logs").rename(tmp_path / "logs.old")
        (tmp_path / "logs").write_text("")  # the log folder is now a file: the node's restart cannot log
        reply = reload_config(orch)
        assert reply["ok"] is False and "nothing changed" in reply["error"] and "cannot open log" in reply["error"]
        assert orch.config is before and orch.running.written == [] and orch.state_pub.frame_period_s == 1 / 30
        assert {n: c.pid for n, c in orch.supervisor.children.items()} == pids  # nobody was stopped
    finally:
        orch.supervisor.stop_all()


def test_a_valid_reload_restarts_without_waiting_for_the_old_child(tmp_path: Path) -> None:
    orch = _orchestrator(tmp_path)
    try:
        node = orch.supervisor.children["render-n"]
        old = node.pid
        orch.config_file.write_text(STAGE_YAML.replace("target_fps: 30", "target_fps: 25"))
        reply = reload_config(orch)
        assert reply["ok"] is True and reply["restarted"] == ["render-n"]
        assert orch.config.render.target_fps == 25 and orch.state_pub.frame_period_s == 1 / 25
        assert node.reloads == 1 and orch.supervisor.children["tracking"].reloads == 0
        orch.supervisor.tick(node.stop_deadline + 0.1 if node.stop_deadline else None)
        assert node.pid not in (None, old)
    finally:
        orch.supervisor.stop_all()
