"""No input stops the show: the two OSC messages that ended ``stage up`` (``/stage/preset/save`` into a folder that
cannot be made, ``/stage/preset/recall`` of a deeply nested preset) are refused, answered and counted; any other
failure of one OSC message or control request is caught by a last-resort handler that logs a reason and counts it.
Scenes load lazily: a broken scene beside the start scene is listed, refused when selected, and skipped by
``/stage/scene/next``."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from stage.app.orchestrator.control import Request
from stage.app.orchestrator.handlers import handle
from stage.app.orchestrator.osc_map import ChangeError
from stage.app.orchestrator.osc_server import OscServer
from stage.app.orchestrator.stage_up import scene_list
from stage.app.orchestrator.store import StateStore
from stage.core.config.loader import load_stage_config
from stage.core.live import LiveState
from stage.core.scene.catalog import SceneChecks
from tests.orchestrator import REPO, Tablet, make_store, served_store


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[OscServer, Tablet, StateStore]]:
    with served_store(tmp_path / "presets") as (store, server, tablet):
        yield server, tablet, store


def _still_serving(tablet: Tablet, store: StateStore) -> None:
    assert tablet.errors(tablet.send("/stage/exposure", 1.5)) == []
    assert store.state.exposure_ev == 1.5


def test_preset_save_when_the_folder_cannot_be_made(served: tuple[OscServer, Tablet, StateStore],
                                                    tmp_path: Path) -> None:
    """Was: NotADirectoryError escaped the OSC handler and ended ``stage up``."""
    server, tablet, store = served
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    store.presets_dir = blocker / "presets"
    errors = tablet.errors(tablet.send("/stage/preset/save", "p1"))
    assert len(errors) == 1 and "cannot make" in errors[0] and "Not a directory" in errors[0]
    assert server.counters["rejected_invalid"] == 1
    _still_serving(tablet, store)


def test_recall_of_a_deeply_nested_preset(served: tuple[OscServer, Tablet, StateStore]) -> None:
    """Was: RecursionError escaped the OSC handler and ended ``stage up``."""
    server, tablet, store = served
    store.presets_dir.mkdir(parents=True)
    (store.presets_dir / "deep.yaml").write_text("v: 1\nname: deep\nstate: {walls: " + "[" * 3000 + "]" * 3000
                                                 + "}\n")
    errors = tablet.errors(tablet.send("/stage/preset/recall", "deep"))
    assert len(errors) == 1 and "nested deeper than 64 levels" in errors[0]
    assert server.counters["rejected_invalid"] == 1
    _still_serving(tablet, store)


def test_any_failure_of_one_osc_message_is_logged_counted_and_answered(
        served: tuple[OscServer, Tablet, StateStore], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    server, tablet, store = served
    real = store.set_many

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "set_many", broken)
    with caplog.at_level(logging.ERROR):
        errors = tablet.errors(tablet.send("/stage/exposure", 2.0))
    assert errors == ["/stage/exposure: internal error (RuntimeError: disk on fire)"]
    assert server.counters["rejected_internal"] == 1 and server.counters["applied"] == 0
    assert "OSC /stage/exposure from 127.0.0.1" in caplog.text and "disk on fire" in caplog.text
    monkeypatch.setattr(store, "set_many", real)
    _still_serving(tablet, store)


def test_any_failure_of_one_control_request_is_answered_and_counted(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    store = make_store(tmp_path / "presets")

    def broken(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(store, "set", broken)
    orch = SimpleNamespace(store=store, control=SimpleNamespace(failed=0))
    reply = handle(orch, Request([b"id"], "set", {"param": "exposure_ev", "value": 1.0}))  # type: ignore[arg-type]
    assert reply == {"ok": False, "error": "set: internal error: RecursionError: maximum recursion depth exceeded",
                     "kind": "failed", "lines": ["set: internal error: RecursionError: maximum recursion depth "
                                                 "exceeded"]}
    assert orch.control.failed == 1


def _scene_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "scenes"
    folder.mkdir()
    for name in ("demo", "night-city"):
        (folder / f"{name}.yaml").write_text((REPO / "scenes" / f"{name}.yaml").read_text())
    (folder / "b-deep.yaml").write_text("name: deep\nobjects: " + "[" * 3000 + "]" * 3000 + "\n")
    os.mkfifo(folder / "pipe.png")  # a reader would wait forever
    (folder / "c-asset.yaml").write_text("name: c\nsky: {kind: panorama, path: pipe.png}\n")
    (folder / "d-typo.yaml").write_text("name: d\nobjcts: []\n")
    return folder


def test_broken_scenes_are_listed_not_loaded_and_refused_when_selected(tmp_path: Path) -> None:
    """Was: every scene in the folder was loaded at start and one broken scene stopped ``stage up``."""
    folder = _scene_folder(tmp_path)
    config = load_stage_config(REPO / "configs" / "demo.yaml")
    first, scenes = scene_list(REPO / "configs" / "demo.yaml", config, str(folder / "demo.yaml"))
    assert [Path(s).stem for s in scenes] == ["demo", "b-deep", "c-asset", "d-typo", "night-city"]
    store = StateStore(config, scenes, LiveState.from_config(config, scene=first), tmp_path / "presets")
    store.check_scene = SceneChecks().problem
    for name, words in (("b-deep", "nested deeper than 64"), ("c-asset", "not a regular file"),
                        ("d-typo", "objcts: unknown key")):
        with pytest.raises(ChangeError) as exc:
            store.set_scene(name)
        assert f"scene '{name}' refused" in str(exc.value) and words in str(exc.value)
        assert "\n" not in str(exc.value)
    assert store.scene_name == "demo"
    assert store.next_scene() == {"scene": str(folder / "night-city.yaml")}  # the broken ones are skipped
    assert store.next_scene() == {"scene": str(folder / "demo.yaml")}


def test_validate_reports_every_broken_scene_beside_the_config_scene(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from stage.app.cli import main

    folder = _scene_folder(tmp_path)
    config = tmp_path / "stage.yaml"
    config.write_text((REPO / "configs" / "demo.yaml").read_text().replace("scene: ../scenes/demo.yaml",
                                                                            f"scene: {folder / 'demo.yaml'}"))
    assert main(["validate", str(config)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{folder / 'b-deep.yaml'}:2: malformed YAML: nested deeper than 64 levels")
    assert err[1] == f"{folder / 'c-asset.yaml'}:2: sky.path: {folder / 'pipe.png'}: not a regular file"
    assert err[2] == f"{folder / 'd-typo.yaml'}:2: objcts: unknown key"
    assert "3 problem(s) in other scenes" in err[3]
