"""``stage up`` as a real process tree on loopback: status, OSC, ``stage set``, crashes, reload, down, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pythonosc.udp_client import SimpleUDPClient

from stage.app.orchestrator import client
from tests.procs import REPO, Proc, free_tcp_port, free_udp_port

STAGE_CONFIG = """\
name: Orchestrator test stage
scene: {scene}
walls:
  - name: main
    kind: flat
    corners: {{lower_left: [-3.0, 4.0, 0.0], lower_right: [3.0, 4.0, 0.0], upper_left: [-3.0, 4.0, 3.0]}}
    resolution_px: [96, 48]
    output: {{node: n1, offset_px: [0, 0]}}
cameras:
  - id: cam1
    source: sim
    sensor_mm: [24.89, 14.0]
    lens: {{kind: fixed, focal_length_mm: 24.0, entrance_pupil_m: 0.12}}
sources:
  - {{name: sim, kind: simulated, move: orbit, rate_hz: 60, center_m: [0.0, 0.5, 1.6], target_m: [0.0, 4.0, 1.5]}}
nodes:
  - name: n1
    outputs: [{{name: o1, resolution_px: [96, 48]}}]
render:
  target_fps: 30
  inner: {{resolution_px: [96, 54], overscan_pct: 10}}
endpoints:
  pose: tcp://127.0.0.1:{pose}
  state: tcp://127.0.0.1:{state}
  render_stats: tcp://127.0.0.1:{stats}
"""


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_until(what: str, fn: Callable[[], object], timeout_s: float = 15.0, every_s: float = 0.1) -> object:
    """Poll ``fn`` until it returns something truthy; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = fn()
        except client.NoOrchestrator as exc:  # not up yet: keep waiting
            last = exc
        else:
            if last:
                return last
        time.sleep(every_s)
    raise AssertionError(f"{what}: not within {timeout_s}s (last: {last!r})")


class Stage:
    """A ``stage up`` process on a temporary config with free ports, and helpers to talk to it."""

    def __init__(self, tmp: Path, extra_yaml: str = "", args: tuple[str, ...] = (),
                 scene: Path = REPO / "scenes" / "demo.yaml"):
        """A new ``stage up`` in ``tmp``; an existing ``tmp/stage.yaml`` (a restart) is kept as it is."""
        self.tmp = tmp
        self.config = tmp / "stage.yaml"
        if not self.config.exists():
            self.config.write_text(STAGE_CONFIG.format(scene=scene, pose=free_tcp_port(), state=free_tcp_port(),
                                                       stats=free_tcp_port()) + extra_yaml)
        self.control = f"tcp://127.0.0.1:{free_tcp_port()}"
        self.osc_port = free_udp_port()
        self.logs = tmp / "logs"
        self.proc = Proc(["-m", "stage.app.cli", "up", str(self.config), "--headless", "--control", self.control,
                          "--osc-port", str(self.osc_port), "--log-dir", str(self.logs), "--presets",
                          str(tmp / "presets"), *args], cwd=tmp)
        self.seen_pids: set[int] = set()

    def request(self, cmd: str, **args: object) -> dict:
        return client.request(self.control, cmd, 2.0, **args)

    def status(self) -> dict:
        return self.request("status")

    def cli(self, *args: str, timeout_s: float = 30.0) -> subprocess.CompletedProcess:
        """The real ``stage`` CLI against this stage."""
        return subprocess.run([sys.executable, "-m", "stage.app.cli", *args, "--control", self.control], cwd=self.tmp,
                              capture_output=True, text=True, timeout=timeout_s)

    def wait_rendering(self) -> dict:
        def ready() -> dict | None:
            s = self.status()
            node = s["nodes"]["n1"]
            return s if node["fps"] and s["tracking"]["pose_rate_hz"] else None

        return wait_until("node rendering and tracking publishing", ready, 20.0)

    def pids(self) -> list[int]:
        pids = [p["pid"] for p in self.status()["processes"].values() if p["pid"]]
        self.seen_pids.update(pids)
        return pids

    def close(self) -> None:
        """Stop the orchestrator (SIGTERM, then SIGKILL) and kill every child ever seen: never leave a process
        behind, whatever the test did."""
        if self.proc.popen.poll() is None:
            self.proc.signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
        self.proc.kill()
        for pid in self.seen_pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def stop_stage(st: Stage, pids: list[int]) -> None:
    """SIGTERM ``stage up`` (SIGKILL if it lingers) and SIGKILL any of ``pids`` still alive."""
    st.seen_pids.update(pids)
    st.close()


@pytest.fixture
def stage(tmp_path: Path) -> Iterator[Stage]:
    st = Stage(tmp_path)
    try:
        st.wait_rendering()
        st.pids()
        yield st
    finally:
        st.close()


def test_status_without_orchestrator_is_one_line_and_exit_1() -> None:
    endpoint = f"tcp://127.0.0.1:{free_tcp_port()}"
    run = subprocess.run([sys.executable, "-m", "stage.app.cli", "status", "--control", endpoint, "--timeout", "0.5"],
                         capture_output=True, text=True, timeout=20)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [f"no orchestrator at {endpoint} (is `stage up` running?)"]


def test_up_status_osc_and_set(stage: Stage) -> None:
    run = stage.cli("status", "--json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    procs = doc["processes"]
    assert set(procs) == {"tracking", "render-n1"}
    assert all(p["pid"] and p["state"] == "running" and p["restarts"] == 0 for p in procs.values())
    assert doc["nodes"]["n1"]["fps"] > 0 and doc["tracking"]["pose_rate_hz"] > 0
    assert doc["scene"] == "demo" and doc["parameters"]["exposure_ev"] == 0.0

    osc = SimpleUDPClient("127.0.0.1", stage.osc_port)
    osc.send_message("/stage/exposure", 1.5)
    wait_until("OSC exposure applied", lambda: stage.status()["parameters"]["exposure_ev"] == 1.5, 5.0)
    doc = json.loads(stage.cli("status", "--json").stdout)
    assert doc["parameters"]["exposure_ev"] == 1.5 and doc["counters"]["osc"]["applied"] >= 1

    bad = stage.cli("set", "exposure_ev", "bright")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    assert "exposure_ev" in bad.stderr
    assert stage.status()["parameters"]["exposure_ev"] == 1.5

    good = stage.cli("set", "walls.main.brightness", "0.5")
    assert good.returncode == 0, good.stderr
    rev = stage.status()["rev"]
    # The node follows: its stats report the orchestrator's revision.
    wait_until("node at the current state rev", lambda: stage.status()["nodes"]["n1"]["state_rev"] == rev, 5.0)

    assert stage.cli("preset", "save", "look1").returncode == 0
    assert stage.cli("set", "exposure_ev", "-2").returncode == 0
    assert stage.cli("preset", "recall", "look1").returncode == 0
    assert stage.status()["parameters"]["exposure_ev"] == 1.5
    assert stage.cli("undo").returncode == 0
    assert stage.status()["parameters"]["exposure_ev"] == -2.0
    unknown = stage.cli("scene", "no-such-scene")
    assert unknown.returncode == 2 and "no-such-scene" in unknown.stderr


def test_render_node_sigkill_restarts_with_current_state(stage: Stage) -> None:
    stage.request("set", param="exposure_ev", value=2.0)
    rev = stage.status()["rev"]
    before = stage.status()["processes"]["render-n1"]["pid"]
    tracking_pid = stage.status()["processes"]["tracking"]["pid"]
    os.kill(before, signal.SIGKILL)
    killed = time.monotonic()

    def restarted() -> dict | None:
        p = stage.status()["processes"]["render-n1"]
        return p if p["pid"] not in (None, before) else None

    proc = wait_until("render node restarted", restarted, 5.0, every_s=0.02)
    assert time.monotonic() - killed < 1.0
    assert proc["restarts"] == 1 and proc["last_exit"] == -signal.SIGKILL
    # The new node got the current state on connect: its stats report the orchestrator's revision.
    node = wait_until("restarted node reports the current state",
                      lambda: (n := stage.status()["nodes"]["n1"]).get("uptime_s", 99) < 5
                      and n["state_rev"] == rev and n,
                      10.0)
    assert node["fps"] > 0
    status = stage.status()
    assert status["processes"]["tracking"]["pid"] == tracking_pid and status["processes"]["tracking"]["restarts"] == 0
    assert any("render-n1" in e and "SIGKILL" in e for e in status["errors"])


def test_daemon_sigkill_restarts_while_node_keeps_rendering(stage: Stage) -> None:
    before = stage.status()
    daemon = before["processes"]["tracking"]["pid"]
    frame = before["nodes"]["n1"]["frame"]
    # A silent daemon (stopped, not dead): the node holds the last pose, keeps rendering and reports it stale.
    os.kill(daemon, signal.SIGSTOP)
    try:
        stale = wait_until("camera reported stale", lambda: (s := stage.status())["stale_cameras"] == ["cam1"] and s,
                           10.0)
        assert stale["nodes"]["n1"]["frame"] > frame and "stale cam1" in stale["status_line"]
    finally:
        os.kill(daemon, signal.SIGCONT)
    frame = stage.status()["nodes"]["n1"]["frame"]
    os.kill(daemon, signal.SIGKILL)
    proc = wait_until("tracking restarted",
                      lambda: (p := stage.status()["processes"]["tracking"])["pid"] not in (None, daemon) and p,
                      5.0, every_s=0.05)
    assert proc["restarts"] == 1
    node_pid = before["processes"]["render-n1"]["pid"]
    wait_until("node keeps rendering", lambda: (stage.status()["nodes"]["n1"]["frame"] or 0) > frame + 30, 10.0)
    after = stage.status()
    assert after["processes"]["render-n1"]["pid"] == node_pid and after["processes"]["render-n1"]["restarts"] == 0
    wait_until("poses flow again", lambda: stage.status()["tracking"]["pose_rate_hz"], 10.0)


def test_reload_invalid_edit_is_refused_and_the_show_keeps_running(stage: Stage) -> None:
    pids = stage.pids()
    good = stage.config.read_text()
    stage.config.write_text(good.replace("target_fps: 30", "target_fps: -5"))
    run = stage.cli("reload")
    assert run.returncode == 2
    first = run.stderr.strip().splitlines()[0]
    assert first.startswith(f"{stage.config}:") and "render.target_fps" in first, run.stderr
    line = int(first.split(":")[1])
    assert "target_fps" in stage.config.read_text().splitlines()[line - 1]
    status = stage.status()
    assert stage.pids() == pids and status["nodes"]["n1"]["fps"] > 0 and not status["errors"]

    # A valid edit of the render settings restarts the render node only.
    stage.config.write_text(good.replace("target_fps: 30", "target_fps: 25"))
    run = stage.cli("reload")
    assert run.returncode == 0, run.stderr
    # The restart does not block the control loop: the new node starts once the old one has exited.
    procs = wait_until("render node replaced",
                       lambda: (p := stage.status()["processes"])["render-n1"]["pid"] not in (None, pids[1]) and p,
                       10.0)
    assert procs["tracking"]["pid"] == pids[0] and procs["tracking"]["reloads"] == 0
    assert procs["render-n1"]["reloads"] == 1
    assert procs["render-n1"]["restarts"] == 0


def test_stage_down_stops_everything(stage: Stage) -> None:
    pids = stage.pids()
    run = stage.cli("down")
    assert run.returncode == 0, run.stderr
    assert not [p for p in pids if alive(p)]
    assert stage.proc.wait(10) == 0
    assert not [line for line in stage.proc.lines if "Traceback" in line]


def test_sigterm_stops_cleanly_without_orphans_or_partial_files(stage: Stage) -> None:
    pids = stage.pids()
    assert list(stage.tmp.glob(".stage.running-*.yaml"))
    stage.proc.signal(signal.SIGTERM)
    assert stage.proc.wait(15) == 0
    assert not [p for p in pids if alive(p)]
    leftovers = [p for p in stage.tmp.rglob("*") if p.name.endswith(".tmp") or ".running-" in p.name]
    assert leftovers == []
    log = (stage.logs / "render-n1.log").read_text()
    assert "=== " in log and "render node n1" in log and "stopped after" in log


def test_up_refuses_a_busy_control_endpoint_and_an_invalid_config(tmp_path: Path) -> None:
    import zmq

    config = tmp_path / "stage.yaml"
    config.write_text(STAGE_CONFIG.format(scene=REPO / "scenes" / "demo.yaml", pose=free_tcp_port(),
                                          state=free_tcp_port(), stats=free_tcp_port()))
    ctx = zmq.Context()
    busy = ctx.socket(zmq.REP)
    busy.setsockopt(zmq.LINGER, 0)
    port = busy.bind_to_random_port("tcp://127.0.0.1")
    try:
        run = subprocess.run([sys.executable, "-m", "stage.app.cli", "up", str(config), "--headless", "--control",
                              f"tcp://127.0.0.1:{port}", "--osc-port", str(free_udp_port()), "--log-dir",
                              str(tmp_path / "logs")], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    finally:
        busy.close()
        ctx.term()
    assert run.returncode == 1 and f"cannot bind the control endpoint tcp://127.0.0.1:{port}" in run.stderr
    assert not (tmp_path / "logs").exists()

    config.write_text(config.read_text().replace("kind: flat", "kind: round"))
    run = subprocess.run([sys.executable, "-m", "stage.app.cli", "up", str(config), "--headless"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 2 and run.stderr.startswith(f"{config}:"), run.stderr
