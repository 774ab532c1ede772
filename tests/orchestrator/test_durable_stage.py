"""Durable state, orphans, watchdog and authentication of a real ``stage up`` process tree on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import zmq

from stage.app.orchestrator import client
from stage.core import keys
from tests.orchestrator.test_stage_up import Stage, alive, wait_until

WATCHDOG = "control: {watchdog_s: 2.0, watchdog_startup_s: 30.0}\n"


def journal_rev(tmp: Path) -> int | None:
    try:
        return json.loads((tmp / "presets" / ".live-state.json").read_text())["rev"]
    except (OSError, ValueError, KeyError):
        return None


def test_sigkilled_orchestrator_comes_back_with_its_state_and_no_orphan_blocks_it(tmp_path: Path) -> None:
    first = Stage(tmp_path)
    second = third = None
    try:
        first.wait_rendering()
        assert first.cli("set", "exposure_ev", "1.5").returncode == 0
        assert first.cli("set", "walls.main.brightness", "0.5").returncode == 0
        assert first.cli("preset", "save", "look").returncode == 0
        assert first.cli("scene", "night-city").returncode == 0
        assert first.cli("set", "exposure_ev", "-1").returncode == 0
        rev = first.status()["rev"]
        wait_until("journal written", lambda: journal_rev(tmp_path) == rev, 10.0)
        procs = first.status()["processes"]
        first.pids()
        # The daemon hangs (it holds the pose port) and the orchestrator dies without a word.
        os.kill(procs["tracking"]["pid"], signal.SIGSTOP)
        first.proc.signal(signal.SIGKILL)
        first.proc.wait(10)
        assert alive(procs["tracking"]["pid"])  # stopped: it never acts on the kernel's SIGTERM

        second = Stage(tmp_path)
        second.seen_pids |= first.seen_pids
        doc = second.wait_rendering()
        assert not alive(procs["tracking"]["pid"]) and not alive(procs["render-n1"]["pid"])
        assert doc["scene"] == "night-city" and doc["presets"] == ["look"]
        assert doc["parameters"]["exposure_ev"] == -1.0 and doc["parameters"]["walls.main.brightness"] == 0.5
        assert doc["journal"]["restored"]["rev"] == rev and doc["rev"] >= rev
        assert any("killed tracking" in e for e in doc["errors"])
        assert second.cli("undo").returncode == 0  # the undo history survived too
        assert second.status()["parameters"]["exposure_ev"] == 1.5
        leftovers = [p.name for p in tmp_path.rglob("*") if p.name.endswith(".tmp")
                     or (".running-" in p.name and str(first.proc.popen.pid) in p.name)]
        assert leftovers == []
        assert second.cli("down").returncode == 0
        assert second.proc.wait(15) == 0

        third = Stage(tmp_path, args=("--fresh",))
        doc = third.wait_rendering()
        assert doc["scene"] == "demo" and doc["parameters"]["exposure_ev"] == 0.0 and doc["presets"] == ["look"]
    finally:
        for st in (first, second, third):
            if st is not None:
                st.close()


def test_a_second_stage_up_on_the_same_state_folder_is_refused(tmp_path: Path) -> None:
    first = Stage(tmp_path)
    try:
        first.wait_rendering()
        run = subprocess.run([sys.executable, "-m", "stage.app.cli", "up", str(first.config), "--headless",
                              "--presets", str(tmp_path / "presets"), "--duration", "1"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 1 and f"another `stage up` (pid {first.proc.popen.pid})" in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1
    finally:
        first.close()


def test_hung_children_are_found_shown_and_restarted(tmp_path: Path) -> None:
    st = Stage(tmp_path, extra_yaml=WATCHDOG)
    try:
        st.wait_rendering()
        for name in ("render-n1", "tracking"):
            before = st.status()["processes"][name]
            assert before["report_age_s"] is not None and before["hangs"] == 0
            st.pids()
            os.kill(before["pid"], signal.SIGSTOP)
            proc = wait_until(f"{name} restarted by the watchdog",
                              lambda n=name, b=before: (p := st.status()["processes"][n])["hangs"] == 1
                              and p["pid"] not in (None, b["pid"]) and p, 30.0)
            assert proc["restarts"] == 1 and proc["last_exit"] == -signal.SIGKILL
            assert not alive(before["pid"])
            errors = st.status()["errors"]
            assert any(name in e and "hung" in e for e in errors), errors
        st.wait_rendering()
        text = st.cli("status")
        assert text.returncode == 0 and "hung" in text.stdout, text.stdout
    finally:
        st.close()


def test_only_authorized_clients_reach_the_control_endpoint(tmp_path: Path) -> None:
    st = Stage(tmp_path)
    try:
        st.wait_rendering()
        ctx = zmq.Context()
        try:
            # A plain ZeroMQ client (no CURVE), as any local account could open: no answer at all.
            plain = ctx.socket(zmq.REQ)
            plain.setsockopt(zmq.LINGER, 0)
            plain.connect(st.control)
            plain.send(b'{"cmd": "down"}')
            assert plain.poll(1500) == 0
            plain.close()
            # A CURVE client with keys of its own that the show never authorized: refused in the handshake.
            stranger = tmp_path / "stranger-keys"
            keys.ensure_keys(stranger)
            (stranger / "server.key").write_bytes((Path(os.environ[keys.ENV]) / "server.key").read_bytes())
            with pytest.raises(client.NotAuthorized):
                client.request(st.control, "down", 1.5, stranger)
            run = st.cli("down", "--keys", str(stranger), "--timeout", "1.5")
            assert run.returncode == 1 and "refused this client's key" in run.stderr
        finally:
            ctx.term()
        status = st.status()  # the show is still up, and authorized clients still get in
        assert status["processes"]["render-n1"]["state"] == "running"
    finally:
        st.close()


def test_streams_off_loopback_run_on_curve_end_to_end(tmp_path: Path) -> None:
    """Pose, state and render stats bound on every interface: the children find the keys and the show runs; a
    plain subscriber on the pose port gets nothing."""
    st = Stage(tmp_path)
    st.close()
    st.config.write_text(st.config.read_text().replace("tcp://127.0.0.1:", "tcp://0.0.0.0:"))
    st = Stage(tmp_path)
    try:
        doc = st.wait_rendering()
        assert all(e.startswith("tcp://0.0.0.0:") for e in doc["endpoints"].values())
        ctx = zmq.Context()
        try:
            plain = ctx.socket(zmq.SUB)
            plain.setsockopt(zmq.LINGER, 0)
            plain.setsockopt(zmq.SUBSCRIBE, b"")
            plain.connect(doc["endpoints"]["pose"].replace("0.0.0.0", "127.0.0.1"))
            assert plain.poll(1500) == 0  # the daemon publishes at 60 Hz: a NULL-security subscriber sees none
            plain.close()
        finally:
            ctx.term()
        # `stage tap` on the same address is a CURVE client with the user's keys: it gets the poses.
        tap = subprocess.run([sys.executable, "-m", "stage.app.cli", "tap", doc["endpoints"]["pose"],
                              "--topic", "pose/",
                              "--count", "1", "--timeout", "10"], capture_output=True, text=True, timeout=60)
        assert tap.returncode == 0, tap.stderr
        assert json.loads(tap.stdout.splitlines()[0])["camera"] == "cam1"
    finally:
        st.close()
