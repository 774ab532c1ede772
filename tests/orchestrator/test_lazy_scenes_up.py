"""``stage up`` with broken scenes beside its start scene (a real process tree on loopback): it starts, lists them,
refuses them with one line and exit 2 when selected, and keeps showing the scene it has. Was: one broken scene
anywhere in the folder stopped ``stage up`` from starting."""

from __future__ import annotations

from pathlib import Path

from tests.orchestrator.test_last_resort import _scene_folder
from tests.orchestrator.test_stage_up import Stage, stop_stage


def test_stage_up_starts_beside_broken_scenes_and_refuses_them(tmp_path: Path) -> None:
    folder = _scene_folder(tmp_path)
    st = Stage(tmp_path, scene=folder / "demo.yaml")
    pids: list[int] = []
    try:
        status = st.wait_rendering()
        pids = st.pids()
        assert status["scenes"] == ["demo", "b-deep", "c-asset", "d-typo", "night-city"]
        run = st.cli("scene", "d-typo")
        assert run.returncode == 2 and "Traceback" not in run.stderr
        assert run.stderr.strip().splitlines() == [
            f"scene 'd-typo' refused: {folder / 'd-typo.yaml'}:2: objcts: unknown key"]
        assert st.cli("scene", "night-city").returncode == 0
        assert st.status()["scene"] == "night-city" and st.proc.popen.poll() is None
    finally:
        stop_stage(st, pids)
