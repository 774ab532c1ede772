"""``stage up``, ``stage preset``, ``stage record``, ``stage export`` and ``stage status`` find one stage's files in
its stage folder beside the config, whatever folder they are run from (issue 13, "Where files go";
docs/operator-guide.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.orchestrator.test_stage_up import STAGE_CONFIG, Stage
from tests.procs import REPO, Proc, free_tcp_port, free_udp_port


class DefaultFilesStage(Stage):
    """``stage up CONFIG`` run from ``cwd`` with no --log-dir or --presets: every file goes where the config
    says."""

    def __init__(self, config: Path, cwd: Path):
        self.tmp, self.config = cwd, config
        self.control = f"tcp://127.0.0.1:{free_tcp_port()}"
        self.osc_port = free_udp_port()
        self.proc = Proc(["-m", "stage.app.cli", "up", str(config), "--headless", "--control", self.control,
                          "--osc-port", str(self.osc_port)], cwd=cwd)
        self.seen_pids: set[int] = set()


def _stage(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stage.app.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60)


def test_two_working_directories_find_the_same_presets_and_takes(tmp_path: Path) -> None:
    config = tmp_path / "show" / "configs" / "stage.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(STAGE_CONFIG.format(scene=REPO / "scenes" / "demo.yaml", pose=free_tcp_port(),
                                          state=free_tcp_port(), stats=free_tcp_port()))
    folder = config.parent / "stage.stage"
    first_cwd, second_cwd = tmp_path / "a", tmp_path / "b" / "deeper"
    first_cwd.mkdir()
    second_cwd.mkdir(parents=True)

    st = DefaultFilesStage(config, first_cwd)
    try:
        st.wait_rendering()
        st.pids()
        status = st.status()
        assert status["files"] == {"folder": str(folder), "logs": str(folder / "logs"),
                                   "presets": str(folder / "presets")}
        assert f"files {folder}/" in st.cli("status").stdout
        assert st.cli("set", "exposure_ev", "1.5").returncode == 0
        assert st.cli("preset", "save", "look").returncode == 0
        rec = _stage("record", str(config), "--take", "t1", "--duration", "1", cwd=first_cwd)
        assert rec.returncode == 0, rec.stderr
    finally:
        st.close()
    assert (folder / "presets" / "look.yaml").is_file() and (folder / "takes" / "t1.take.jsonl").is_file()
    assert (folder / "logs" / "stage-up.log").is_file() and (folder / "logs" / "tracking.log").is_file()
    assert list(first_cwd.iterdir()) == []

    relative = Path("../../show/configs/stage.yaml")
    st = DefaultFilesStage(relative, second_cwd)
    try:
        st.wait_rendering()
        st.pids()
        assert st.cli("preset", "list").stdout.split() == ["look"]
        assert st.status()["parameters"]["exposure_ev"] == 1.5  # the journal beside the presets came back too
        assert st.cli("set", "exposure_ev", "0").returncode == 0
        assert st.cli("preset", "recall", "look").returncode == 0
        assert st.status()["parameters"]["exposure_ev"] == 1.5
    finally:
        st.close()
    export = _stage("export", "t1", "--config", str(relative), "--format", "csv", "--quiet", cwd=second_cwd)
    assert export.returncode == 0, export.stderr
    assert len(export.stdout.splitlines()) > 10
    assert list(second_cwd.iterdir()) == []
