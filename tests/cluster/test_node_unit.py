"""The systemd unit of a node machine (``stage node CONFIG --node NAME ... --systemd-unit``, docs/cluster.md): read as
systemd reads it (tests/cluster/systemd_unit.py), its ``ExecStart`` run as a real process with the unit's
``WorkingDirectory`` and ``Environment`` only — from another folder than the one it was generated in — joins a running
show (``stage clock`` and a headless node): in the barrier, presenting the frames the clock released. systemd cannot
run here; ``systemd-analyze verify`` checks the unit where it is installed. Nothing is timed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stage.app.commands.node_unit import exec_start, node_command, quote_word
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
from tests.cluster.systemd_unit import command_line, environment, read_unit, working_directory
from tests.procs import REPO, Proc

NODES = ["n1", "n2"]


def _unit(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stage.app.cli", "node", *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd)


def test_words_are_quoted_as_systemd_splits_them() -> None:
    words = ["/opt/my stage/x.yaml", "50%", "$HOME", 'say "hi"', "plain/path.yaml", "a\\b"]
    line = exec_start(["stage", "node", "--node", "%i", *words])
    assert command_line(line, "left") == ["stage", "node", "--node", "left", *words]
    assert quote_word("100%") == "100%%" and "$$X" in quote_word("$X") and "$$" not in quote_word("$X", variables=False)


def test_paths_become_absolute_and_the_node_the_instance(tmp_path: Path) -> None:
    options = {"--node", "--frame-log", "--scene", "--duration"}
    out = node_command(["stage.yaml", "--node", "left", "--headless", "--frame-log=logs", "--duration", "5"],
                       options, tmp_path)
    assert out == [str(tmp_path / "stage.yaml"), "--node", "%i", "--headless", "--frame-log", str(tmp_path / "logs"),
                   "--duration", "5"]


def test_a_bad_node_or_option_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = _unit(REPO, "configs/demo.yaml", "--node", "nope", "--systemd-unit")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == "stage node: error: --node: unknown render node 'nope' (nodes: node1)"
    proc = _unit(REPO, "configs/demo.yaml", "--node", "node1", "--unit-user", "x")
    assert proc.returncode == 2 and proc.stderr.strip() == \
        "stage node: error: --unit-user and --unit-dir go with --systemd-unit"


@pytest.mark.gl
@pytest.mark.timeout(300)
def test_the_units_command_joins_a_running_show(tmp_path: Path) -> None:
    inputs = Inputs(cameras=("cam1",))
    render_config(tmp_path, inputs, NODES)
    service_dir = tmp_path / "opt-vpstage"
    service_dir.mkdir()
    proc = _unit(tmp_path, "stage.yaml", "--node", "n2", "--headless", "--frame-log", "frames", "--systemd-unit",
                 "--unit-dir", str(service_dir))
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    unit = read_unit(text)
    service = unit["Service"]
    argv = command_line(service["ExecStart"][0], "n2")
    cwd = working_directory(service["WorkingDirectory"][0], "n2")
    env = environment(service.get("Environment", []), "n2")
    assert cwd == service_dir and Path(argv[0]).is_absolute() and argv[1:2] == ["node"]
    assert argv[argv.index("--node") + 1] == "n2" and str(tmp_path / "stage.yaml") in argv
    assert unit["Install"]["WantedBy"] == ["multi-user.target"] and service["Restart"] == ["always"]
    assert "VPSTAGE_KEYS" in env and service["User"]
    if shutil.which("systemd-analyze"):
        installed = tmp_path / "vpstage-node@n2.service"
        installed.write_text(text)
        verify = subprocess.run(["systemd-analyze", "verify", str(installed)], capture_output=True, text=True,
                                timeout=60)
        assert verify.returncode == 0, verify.stderr

    logs = tmp_path / "frames"
    clock_log = logs / "_clock.frames.jsonl"
    config = tmp_path / "stage.yaml"
    with processes(inputs) as procs:
        procs["clock"] = Proc(["-m", "stage.app.cli", "clock", str(config), "--frame-log", str(logs)])
        procs["clock"].wait_for(r"stage clock: 20 fps")
        procs["n1"] = Proc(["-m", "stage.app.cli", "node", str(config), "--node", "n1", "--headless", "--frame-log",
                            str(logs)])
        wait_for_log(clock_log, lambda lines: sum(x["ready"] == ["n1"] for x in lines) >= 10, "n1 rendering",
                     timeout_s=180)
        # systemd starts the service with the unit's environment only (and a PATH), in its WorkingDirectory
        procs["n2"] = Proc(argv, cwd=cwd, interpreter=(), inherit_env=False,
                           env={**env, "PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        procs["n2"].wait_for(r"n2: in the barrier at frame \d+", 180)
        wait_for_log(clock_log, lambda lines: sum(x["ready"] == NODES for x in lines) >= 20, "both in the barrier",
                     timeout_s=180)
        stop_cleanly(procs, ["n2", "n1", "clock"])  # the unit's KillSignal=SIGTERM
    records = read_frame_log(clock_log)
    frames = frame_logs(logs, NODES)
    assert sum(x["ready"] == NODES for x in records) >= 20
    assert check_presented_as_released(records, frames) >= 10 + 2 * 20
    assert not list(service_dir.iterdir()), "the unit's node wrote nothing into its working directory"
