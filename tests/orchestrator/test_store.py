"""StateStore: value rules, atomic changes, undo, scenes, presets, coalesced deltas, listeners."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from stage.app.orchestrator import files as files_mod
from stage.app.orchestrator.osc_map import RULES
from stage.app.orchestrator.store import ChangeError, StateStore
from tests.orchestrator import SCENES, make_store


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return make_store(tmp_path / "presets")


def test_set_coerces_cli_values(store: StateStore) -> None:
    assert store.set("exposure_ev", 2) == {"exposure_ev": 2.0}
    assert isinstance(store.state.exposure_ev, float)
    store.set("chroma_key", "true")
    store.set("walls.main.enabled", 0)
    store.set("offset_m", [1, 2, 3])
    store.set("light_cards.key.color", [1, 0.5, 0])
    store.set("camera_delay_ms.cam1", 40)
    p = store.parameters()
    assert p["chroma_key"] is True and p["walls.main.enabled"] is False
    assert p["offset_m"] == [1.0, 2.0, 3.0] and p["light_cards.key.color"] == [1.0, 0.5, 0.0]
    assert p["camera_delay_ms.cam1"] == 40.0


@pytest.mark.parametrize(
    ("path", "value", "held"),
    [
        ("exposure_ev", 99, 10.0),
        ("exposure_ev", -11.5, -10.0),
        ("white_balance_k", 100, 2000.0),
        ("overscan_pct", 150, 100.0),
        ("soft_edge_pct", -1, 0.0),
        ("walls.ceiling.brightness", 9, 4.0),
        ("time_of_day_h", 25, 24.0),
        ("light_cards.key.intensity", -3, 0.0),
        ("light_cards.key.center_uv", [1.5, -1], [1.0, 0.0]),
        ("yaw_deg", 270, -90.0),
        ("camera_delay_ms.cam1", 5000, 1000.0),
    ],
)
def test_faders_clamp(store: StateStore, path: str, value: object, held: object) -> None:
    store.set(path, value)
    assert store.parameters()[path] == held


@pytest.mark.parametrize(
    ("path", "value", "reason", "words"),
    [
        ("exposure_ev", math.nan, "not_finite", "finite"),
        ("exposure_ev", math.inf, "not_finite", "finite"),
        ("exposure_ev", "bright", "arg_type", "number"),
        ("exposure_ev", True, "arg_type", "number"),
        ("chroma_key", 2, "out_of_range", "0 or 1"),
        ("chroma_key", "yes", "arg_type", "boolean"),
        ("walls.nope.brightness", 1.0, "unknown_name", "main"),
        ("light_cards.nope.intensity", 1.0, "unknown_name", "key"),
        ("camera_delay_ms.camX", 1.0, "unknown_name", "cam1"),
        ("offset_m", [1, 2], "arg_count", "3 numbers"),
        ("offset_m", [1, 2, math.nan], "not_finite", "finite"),
        ("no_such", 1, "unknown_address", "not a live parameter"),
        ("walls.main.name", "x", "unknown_address", "not a live parameter"),
        ("light_cards.rim.center_uv", [0.5, 0.5], "invalid", "light_cards.rim"),
    ],
)
def test_bad_values_rejected_state_unchanged(store: StateStore, path: str, value: object, reason: str,
                                             words: str) -> None:
    before, rev = store.parameters(), store.rev
    with pytest.raises(ChangeError) as err:
        store.set(path, value)
    assert err.value.reason == reason
    assert words in str(err.value) and "\n" not in str(err.value)
    assert store.parameters() == before and store.rev == rev and store.take_delta() is None


def test_set_many_is_atomic(store: StateStore) -> None:
    before = store.parameters()
    with pytest.raises(ChangeError, match="walls.nope"):
        store.set_many({"exposure_ev": 3.0, "walls.nope.brightness": 1.0})
    assert store.parameters() == before
    store.set_many({"exposure_ev": 3.0, "walls.main.brightness": 0.5})
    assert store.rev == 1 and store.parameters()["exposure_ev"] == 3.0


def test_every_rule_is_a_parameter(store: StateStore) -> None:
    names = {"walls.*": "walls.main", "light_cards.*": "light_cards.key", "camera_delay_ms.*": "camera_delay_ms.cam1"}
    store.set("camera_delay_ms.cam1", 0)
    for key in RULES:
        path = key
        for pattern, concrete in names.items():
            path = path.replace(pattern, concrete)
        if path.startswith("light_cards.key.") and path.split(".")[-1] in ("azimuth_deg", "elevation_deg"):
            path = path.replace("key", "rim")
        assert path in store.parameters(), path


def test_undo_stack(store: StateStore) -> None:
    with pytest.raises(ChangeError, match="nothing to undo"):
        store.undo()
    store.set("exposure_ev", 1.0)
    store.set("exposure_ev", 2.0)
    store.set("walls.main.brightness", 0.5)
    assert store.undo() == {"walls.main.brightness": 1.0}
    assert store.undo() == {"exposure_ev": 1.0}
    assert store.undo() == {"exposure_ev": 0.0}
    with pytest.raises(ChangeError):
        store.undo()


def test_noop_change_is_not_an_undo_step_or_delta(store: StateStore) -> None:
    store.set("exposure_ev", 1.0)
    store.take_delta()
    store.set("exposure_ev", 1)
    assert store.take_delta() is None and store.rev == 1
    store.undo()
    assert store.state.exposure_ev == 0.0


def test_scenes_by_stem_or_path_and_next_wraps(store: StateStore) -> None:
    assert store.scene_name == "demo"
    store.set_scene("night")
    assert store.state.scene == SCENES[1]
    store.set("scene", "scenes/desert.yaml")
    assert store.scene_name == "desert"
    store.next_scene()
    assert store.scene_name == "demo"
    with pytest.raises(ChangeError, match="known: demo, night, desert"):
        store.set_scene("moon")
    store.undo()
    assert store.scene_name == "desert"


def test_take_delta_coalesces(store: StateStore) -> None:
    assert store.take_delta() is None
    for i in range(50):
        store.set("exposure_ev", i / 10)
    store.set("walls.main.brightness", 0.25)
    rev, base, changes = store.take_delta()
    assert (rev, base) == (50, 0)  # i = 0 was no change
    assert changes == {"exposure_ev": 4.9, "walls.main.brightness": 0.25}
    store.set("exposure_ev", -1)
    assert store.take_delta() == (51, 50, {"exposure_ev": -1.0})


def test_listener_sees_every_change_with_source(store: StateStore) -> None:
    seen = []
    store.add_listener(lambda changes, source: seen.append((changes, source)))
    store.add_listener(lambda changes, source: 1 / 0)  # a failing listener doesn't break the store
    store.set("tracking_freeze", 1, source="cli")
    store.next_scene()
    store.undo()
    assert seen == [({"tracking_freeze": True}, "cli"), ({"scene": SCENES[1]}, "osc"), ({"scene": SCENES[0]}, "undo")]


def test_preset_save_change_recall_undo(store: StateStore, tmp_path: Path) -> None:
    store.set_many({"exposure_ev": 1.5, "walls.main.brightness": 0.7, "light_cards.key.color": [1, 0, 0]})
    path = store.save_preset("look-A")
    assert path == tmp_path / "presets" / "look-A.yaml" and store.presets() == ["look-A"]
    saved = store.parameters()
    store.set_scene("night")
    store.set_many({"exposure_ev": -2, "walls.main.brightness": 3, "tracking_freeze": True})
    changed = store.parameters()
    applied = store.recall_preset("look-A")
    assert store.parameters() == saved
    assert set(applied) == {"scene", "exposure_ev", "walls.main.brightness", "tracking_freeze"}
    store.undo()  # one step back: everything the recall changed
    assert store.parameters() == changed


def test_preset_atomic_write_and_tmp_leftovers(store: StateStore, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    store.save_preset("show")
    good = (tmp_path / "presets" / "show.yaml").read_text()
    (tmp_path / "presets" / ".show.abc.tmp").write_text("half a prese")
    (tmp_path / "presets" / "other.yaml.tmp").write_text("x")
    assert store.presets() == ["show"]

    def boom(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files_mod.os, "replace", boom)
    store.set("exposure_ev", 5)
    with pytest.raises(ChangeError, match="No space left"):
        store.save_preset("show")
    assert (tmp_path / "presets" / "show.yaml").read_text() == good
    assert sorted(p.name for p in (tmp_path / "presets").iterdir()) == [".show.abc.tmp", "other.yaml.tmp", "show.yaml"]


@pytest.mark.parametrize("name", ["../evil", "a/b", "", ".hidden", "x" * 65, "bad name"])
def test_preset_names_validated(store: StateStore, name: str) -> None:
    with pytest.raises(ChangeError, match="preset name"):
        store.save_preset(name)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("state: [unclosed", "unreadable"),
        ("just text", "not a preset"),
        ("v: 1\nstate: {exposure_ev: 99}\n", "state.exposure_ev"),
        ("v: 7\nstate: {}\n", "unsupported version"),
        (b"\xff\xfe", "unreadable"),
    ],
)
def test_corrupt_preset_names_file_and_reason(store: StateStore, tmp_path: Path, content: str | bytes,
                                              words: str) -> None:
    path = tmp_path / "presets" / "broken.yaml"
    path.parent.mkdir(parents=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = store.parameters()
    with pytest.raises(ChangeError) as err:
        store.recall_preset("broken")
    assert str(path) in str(err.value) and words in str(err.value)
    assert store.parameters() == before


def test_unknown_preset_lists_presets(store: StateStore) -> None:
    store.save_preset("a")
    store.save_preset("b")
    with pytest.raises(ChangeError, match=r"unknown preset 'c' \(known: a, b\)"):
        store.recall_preset("c")


@pytest.mark.parametrize("typed, meant", [
    ("exposure", "exposure_ev"), ("whitebalance", "white_balance_k"),
    ("walls.mian.brightness", "walls.main.brightness"),
    ("light_cards.key.colour", "light_cards.key.color"), ("camera_delay_ms.cam", "camera_delay_ms.cam1"),
])
def test_unknown_parameter_suggests_the_nearest_name(store: StateStore, typed: str, meant: str) -> None:
    """``stage set exposure 1`` → "did you mean exposure_ev?" (the LiveState field names are the vocabulary)."""
    with pytest.raises(ChangeError, match=rf"{typed}: .*; did you mean {meant}\?$"):
        store.set(typed, 1)


def test_a_scene_by_path_outside_the_scene_folder(store: StateStore, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """``stage scene ../elsewhere/mine.yaml`` (relative to the working directory) or an absolute path is accepted,
    also outside the scene folder, and joins the scene choices (issue 13, "scenes by path")."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "work").mkdir()
    mine = tmp_path / "elsewhere" / "mine.yaml"
    mine.write_text("name: Mine\n")
    monkeypatch.chdir(tmp_path / "work")
    store.set_scene("../elsewhere/mine.yaml")
    assert store.state.scene == str(mine) and store.scenes[-1] == str(mine)
    store.set_scene("night.yaml")  # a file name from the choices works too
    assert store.scene_name == "night"
    store.set_scene(str(mine))
    assert store.scene_name == "mine"
    with pytest.raises(ChangeError, match="unknown"):
        store.set_scene("../elsewhere/missing.yaml")
    store.check_scene = lambda path: "line 1: broken"
    (tmp_path / "elsewhere" / "broken.yaml").write_text("x")
    with pytest.raises(ChangeError, match="refused: line 1: broken"):
        store.set_scene(str(tmp_path / "elsewhere" / "broken.yaml"))
