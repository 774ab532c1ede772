"""``stage reload`` applies an edit or changes nothing: a restart that could not start leaves the old config in
place, and reloading never blocks the control loop on a slow child."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

from stage.app.orchestrator import children as ch
from stage.app.orchestrator.handlers import reload_config
from stage.app.orchestrator.health import Health
from stage.app.orchestrator.store import StateStore
from stage.app.orchestrator.supervisor import ChildSpec, Supervisor
from stage.core.config.loader import load_stage_config
from stage.core.live import LiveState
from stage.core.scene.catalog import SceneChecks

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
    store = StateStore(config, [], LiveState.from_config(config), tmp_path / "presets")
    snapshots: list[int] = []
    return FakeOrchestrator(store=store, scene_checks=SceneChecks(config.color),
        config_file=config_file, config=config, config_text=STAGE_YAML, supervisor=sup, errors=[], reconnected=[],
        running=SimpleNamespace(write=written.append, written=written),
        state_pub=SimpleNamespace(frame_period_s=1 / 30, send_snapshot=lambda: snapshots.append(store.rev),
                                  snapshots=snapshots), health=Health(["n"]),
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


CARD = "  light_cards: [{name: key, wall: w, center_uv: [0.5, 0.5], intensity: 3.0}]\n"
WALL2 = """  - {name: w2, kind: flat, resolution_px: [64, 32], output: {node: n2}, brightness: 0.5,
     corners: {lower_left: [2, 4, 0], lower_right: [4, 2, 0], upper_left: [2, 4, 2]}}
"""


def test_reload_brings_the_live_state_in_line_with_the_config(tmp_path: Path) -> None:
    """A light card or wall added by ``stage reload`` is controllable at once with its config values; one removed
    is gone; every live value the operator set on what stayed is kept (issue 13, "stage reload with a new card")."""
    orch = _orchestrator(tmp_path)
    store = orch.store
    try:
        store.set("walls.w.brightness", 0.7)
        store.set("exposure_ev", 1.0)
        edited = STAGE_YAML.replace("render: {target_fps: 30}", "render:\n  target_fps: 30\n" + CARD)
        node2 = "{name: n2, outputs: [{name: o, resolution_px: [64, 32]}]}"
        edited = edited.replace("nodes: [", f"{WALL2}nodes: [{node2}, ")
        orch.config_file.write_text(edited)
        reply = reload_config(orch)
        assert reply["ok"] is True, reply
        assert store.parameters()["light_cards.key.intensity"] == 3.0
        assert store.parameters()["walls.w2.brightness"] == 0.5
        assert (store.parameters()["walls.w.brightness"], store.state.exposure_ev) == (0.7, 1.0)
        assert "light_cards.key.intensity" in reply["parameters_added"]
        store.set("light_cards.key.intensity", 5.0)  # controllable: no "unknown light card 'key'"
        assert orch.state_pub.snapshots == [store.rev - 1]

        orch.config_file.write_text(STAGE_YAML)  # and removed again
        assert reload_config(orch)["ok"] is True
        assert not [p for p in store.parameters() if p.startswith(("light_cards.", "walls.w2."))]
        assert store.parameters()["walls.w.brightness"] == 0.7
        assert orch.state_pub.snapshots[-1] == store.rev
        store.undo()  # the undo history follows the config too: undo never brings the card back
        assert "light_cards.key.intensity" not in store.parameters()
    finally:
        orch.supervisor.stop_all()


def test_a_cluster_or_host_change_is_refused_in_one_line_and_changes_nothing(tmp_path: Path) -> None:
    """The frame clock and every node read ``cluster`` and ``nodes[].host`` when they start: a reload that changed
    them and restarted some children would leave them on different endpoints. Refused, nothing changed, one line
    naming the keys and the restart of ``stage up`` that applies them (docs/cluster.md)."""
    orch = _orchestrator(tmp_path)
    try:
        before, pids = orch.config, {n: c.pid for n, c in orch.supervisor.children.items()}
        edits = {
            "cluster.frames": "cluster: {frames: 'tcp://127.0.0.1:6661'}\n",
            "nodes.n.host": None,
        }
        for key, extra in edits.items():
            text = STAGE_YAML.replace("target_fps: 30", "target_fps: 25")  # and something a reload could apply
            text = text + extra if extra else text.replace("{name: n, outputs", "{name: n, host: 127.0.0.2, outputs")
            orch.config_file.write_text(text)
            reply = reload_config(orch)
            assert reply["ok"] is False and reply["kind"] == "invalid" and reply["lines"] == [reply["error"]]
            assert reply["error"] == (f"stage reload: refused, nothing changed: {key} changed; only a restart of "
                                      "`stage up` applies it (stage down, then stage up)")
            assert orch.config is before and orch.running.written == []
            assert {n: c.pid for n, c in orch.supervisor.children.items()} == pids
            assert all(c.reloads == 0 for c in orch.supervisor.children.values())
    finally:
        orch.supervisor.stop_all()


def test_a_node_added_on_another_host_is_not_started_here(tmp_path: Path) -> None:
    orch = _orchestrator(tmp_path)
    try:
        lan = STAGE_YAML + "endpoints: {pose: 'tcp://10.0.0.1:5556', state: 'tcp://10.0.0.1:5557', " \
                           "render_stats: 'tcp://10.0.0.1:5558'}\n"  # what a node on another machine can reach
        orch.config_file.write_text(lan)
        assert reload_config(orch)["ok"] is True
        node2 = "{name: n2, host: 10.0.0.8, outputs: [{name: o, resolution_px: [64, 32]}]}"
        orch.config_file.write_text(lan.replace("nodes: [", f"{WALL2}nodes: [{node2}, "))
        reply = reload_config(orch)
        assert reply["ok"] is True, reply
        assert reply["started"] == [] and reply["elsewhere"] == ["n2"]
        assert "render-n2" not in orch.supervisor.children
    finally:
        orch.supervisor.stop_all()
