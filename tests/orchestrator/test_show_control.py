"""Show control on a real ``stage up`` (issue 13): ``stage reload`` brings the live state in line with the config,
OSC drops leave a trace in the log and in ``stage status``, and ``stage scene PATH`` takes any scene file."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pythonosc.udp_client import SimpleUDPClient

from tests.orchestrator.test_stage_up import Stage, stop_stage, wait_until

CARD = "  light_cards: [{name: key, wall: main, center_uv: [0.5, 0.5], intensity: 3.0}]\n"


def _running(st: Stage) -> Iterator[Stage]:
    pids: list[int] = []
    try:
        st.wait_rendering()
        pids = st.pids()
        yield st
    finally:
        stop_stage(st, pids)


@pytest.fixture
def stage_up(tmp_path: Path) -> Iterator[Stage]:
    yield from _running(Stage(tmp_path))


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Stage]:
    yield from _running(Stage(tmp_path, extra_yaml="control: {allowed_clients: [10.0.0.0/8]}\n"))  # loopback is outside


def test_reload_adds_a_light_card_and_osc_drops_leave_a_trace(guarded: Stage) -> None:
    st = guarded
    # A card added to the config: after `stage reload` it is in the live state and controllable at once.
    st.cli("set", "exposure_ev", "1.5")
    st.config.write_text(st.config.read_text().replace("  target_fps: 30\n", "  target_fps: 30\n" + CARD))
    run = st.cli("reload")
    assert run.returncode == 0, run.stderr
    assert "live parameters added: " in run.stdout and "light_cards.key.intensity" in run.stdout, run.stdout
    run = st.cli("set", "light_cards.key.intensity", "5")
    assert run.returncode == 0, run.stderr
    params = st.status()["parameters"]
    assert params["light_cards.key.intensity"] == 5.0 and params["exposure_ev"] == 1.5  # live values kept
    # The node restarted with the card and follows the state that has it.
    wait_until("node on the new state", lambda: (s := st.status())["nodes"]["n1"]["state_rev"] == s["rev"], 20.0)

    # OSC from outside the allow-list: counted, logged (once, rate-limited) and shown with its reason.
    osc = SimpleUDPClient("127.0.0.1", st.osc_port)
    for _ in range(5):
        osc.send_message("/stage/exposure", 2.0)
    status = wait_until("drops counted", lambda: (s := st.status())["counters"]["osc"]["ignored_not_allowed"] == 5
                        and s)
    assert "/stage/exposure: sender not in control.allowed_clients" in status["osc_last_reject"]
    human = st.cli("status").stdout
    assert re.search(r"OSC: 5 received, 0 applied, 5 rejected \(5 not allowed\), last: 127\.0\.0\.1:\d+ "
                     r"/stage/exposure: sender not in control\.allowed_clients", human), human
    log = (st.logs / "stage-up.log").read_text()
    assert len(re.findall(r"WARNING .*OSC from 127\.0\.0\.1:\d+ refused \(not_allowed\)", log)) == 1, log
    # The audit trail: every applied change, with its origin and old → new value.
    assert "cli: exposure_ev 0.0 → 1.5" in log and "cli: light_cards.key.intensity 3.0 → 5.0" in log


def test_stage_scene_takes_a_path_relative_to_where_it_is_typed(stage_up: Stage) -> None:
    st = stage_up
    (st.tmp / "work").mkdir()
    (st.tmp / "work" / "elsewhere").mkdir()
    (st.tmp / "work" / "elsewhere" / "mine.yaml").write_text("name: Mine\nsky: {kind: solid, color: [0.1, 0.2, 0.3]}\n")
    (st.tmp / "work" / "typed-here").mkdir()
    run = subprocess.run([sys.executable, "-m", "stage.app.cli", "scene", "../elsewhere/mine.yaml", "--control",
                          st.control], cwd=st.tmp / "work" / "typed-here", capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    status = st.status()
    assert status["scene"] == "mine" and status["scene_path"] == str(st.tmp / "work" / "elsewhere" / "mine.yaml")
    assert "mine" in status["scenes"]
    wait_until("node on the new scene", lambda: (s := st.status())["nodes"]["n1"]["state_rev"] == s["rev"], 20.0)
    assert "not loaded" not in (st.logs / "render-n1.log").read_text()


def test_status_says_why_a_process_exited(tmp_path: Path) -> None:
    """A render node that cannot start again (its scene file vanished) exits with code 2; ``stage status`` and
    ``--json`` say why, from the node's own log — not only ``exited with code 2``."""
    scene = tmp_path / "mine.yaml"
    scene.write_text("name: Mine\nsky: {kind: solid, color: [0.1, 0.2, 0.3]}\n")
    st = Stage(tmp_path, scene=scene)
    pids: list[int] = []
    try:
        st.wait_rendering()
        pids = st.pids()
        scene.unlink()
        os.kill(st.status()["processes"]["render-n1"]["pid"], signal.SIGKILL)
        proc = wait_until("the node's failed restart", lambda: (p := st.status()["processes"]["render-n1"])
                          ["last_exit"] not in (None, -signal.SIGKILL) and p, 30.0)
        assert "mine.yaml" in proc["last_exit_reason"], proc
        human = st.cli("status").stdout
        assert re.search(r"last exit: .*mine\.yaml", human), human
        assert any("exited with code" in e and "mine.yaml" in e for e in st.status()["errors"])
    finally:
        stop_stage(st, pids)
