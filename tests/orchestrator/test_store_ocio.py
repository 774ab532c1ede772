"""Live OCIO display/view/look per wall (CLI ``stage set`` and OSC go through the store): checked against the
stage's OCIO config with the valid choices, the view follows a display change, undo restores both, presets keep
them, and the render nodes get them as :func:`stage.core.live.display_views`."""

from __future__ import annotations

from pathlib import Path

import pytest

from stage.app.orchestrator.osc_map import route, to_osc
from stage.app.orchestrator.store import ChangeError, StateStore
from stage.core.color.ocio import DisplayView
from stage.core.config import load_stage_config
from stage.core.live import LiveState, display_views
from tests.orchestrator import REPO, make_store

LED = "P3-D65 - BT.1886 - OpenVPCal LED"
CALIBRATED = "OpenVPCal main - ACEScg"


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    config = load_stage_config(REPO / "configs" / "demo-aces-openvpcal.yaml")
    return StateStore(config, ["scenes/demo.yaml"], LiveState.from_config(config, scene="scenes/demo.yaml"),
                      tmp_path / "presets")


def test_initial_state_is_the_config(store: StateStore) -> None:
    assert store.parameters()["walls.main.view"] == CALIBRATED
    assert display_views(store.state)["side-right"] == DisplayView(LED, "OpenVPCal PreCalibration", None)


def test_switch_view_and_undo(store: StateStore) -> None:
    assert store.set("walls.main.view", "OpenVPCal PreCalibration") == {"walls.main.view": "OpenVPCal PreCalibration"}
    assert display_views(store.state)["main"].view == "OpenVPCal PreCalibration"
    store.undo()
    assert store.state.walls["main"].view == CALIBRATED


def test_unknown_names_are_refused_with_the_choices(store: StateStore) -> None:
    with pytest.raises(ChangeError) as err:
        store.set("walls.main.view", "Film")
    assert str(err.value) == (f"walls.main.view: display '{LED}' has no view 'Film' (views: '{CALIBRATED}', "
                              "'OpenVPCal PreCalibration', 'Raw')")
    assert err.value.reason == "unknown_name"
    with pytest.raises(ChangeError, match=r"walls.ceiling.display: unknown display 'sRGB' \(displays: 'P3-D65"):
        store.set("walls.ceiling.display", "sRGB")
    with pytest.raises(ChangeError, match="walls.main.look: unknown look 'warm' \\(looks: none defined\\)"):
        store.set("walls.main.look", "warm")
    with pytest.raises(ChangeError, match="expected a name"):
        store.set("walls.main.view", 3)
    assert store.state.walls["main"].view == CALIBRATED  # nothing changed


def test_view_follows_a_display_change(tmp_path: Path) -> None:
    text = (REPO / "configs" / "demo-aces-openvpcal.yaml").read_text()
    text = text.replace("ocio_config: ocio/openvpcal-example/config.ocio", "ocio_config: ocio://studio-config-latest")
    for old in ("{display: P3-D65 - BT.1886 - OpenVPCal LED, view: OpenVPCal main - ACEScg}",
                "{display: P3-D65 - BT.1886 - OpenVPCal LED, view: OpenVPCal PreCalibration}",
                "{view: OpenVPCal PreCalibration}"):
        text = text.replace(old, "{display: Rec.2100-PQ - Display, view: ACES 2.0 - HDR 2000 nits (P3 D65)}")
    (tmp_path / "stage.yaml").write_text(text.replace("../scenes/demo.yaml", str(REPO / "scenes" / "demo.yaml")))
    config = load_stage_config(tmp_path / "stage.yaml")
    store = StateStore(config, [], LiveState.from_config(config), tmp_path / "presets")
    changed = store.set("walls.main.display", "sRGB - Display")  # sRGB has no 2000-nit view: back to its default
    assert changed == {"walls.main.display": "sRGB - Display"}
    assert store.state.walls["main"].view is None
    assert display_views(store.state)["main"] == DisplayView("sRGB - Display", None, None)
    store.set("walls.side-right.display", "ST2084-P3-D65 - Display")  # it has the view: kept
    assert store.state.walls["side-right"].view == "ACES 2.0 - HDR 2000 nits (P3 D65)"
    store.undo()
    store.undo()
    assert store.state.walls["main"].display == "Rec.2100-PQ - Display"
    assert store.state.walls["main"].view == "ACES 2.0 - HDR 2000 nits (P3 D65)"


def test_builtin_chain_stage_refuses_displays(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    with pytest.raises(ChangeError, match=r"walls.main.display: needs color.ocio_config"):
        store.set("walls.main.display", "sRGB - Display")
    assert store.set("walls.main.display", "") == {"walls.main.display": None}  # no name, nothing to refuse


def test_presets_keep_the_views(store: StateStore) -> None:
    store.set("walls.main.view", "Raw")
    store.save_preset("raw")
    store.set("walls.main.view", CALIBRATED)
    store.recall_preset("raw")
    assert store.state.walls["main"].view == "Raw"


def test_osc_addresses_and_echo(store: StateStore) -> None:
    r = route("/stage/wall/main/view", ["Raw"], store.state)
    assert r.action == "set" and r.changes == {"walls.main.view": "Raw"}
    store.set_many(r.changes, source="osc")
    assert to_osc("walls.main.view", store.state, None) == ("/stage/walls/main/view", ["Raw"])
    assert to_osc("walls.main.look", store.state, None) is None  # no look: nothing to show
    store.set("walls.main.view", "")  # "": back to the display's default view
    assert store.state.walls["main"].view is None
    assert route("/stage/wall/ceiling/display", [LED], store.state).changes == {"walls.ceiling.display": LED}


def test_demo_copy_keeps_a_relative_ocio_config_reachable(tmp_path: Path) -> None:
    """``stage demo`` runs a copy of the config in a work folder: the OCIO config path is made absolute."""
    from stage.app.orchestrator.demo_run import demo_config

    copy = demo_config(REPO / "configs" / "demo-aces-openvpcal.yaml", tmp_path / "work")
    assert load_stage_config(copy).color.ocio_config == str(REPO / "configs" / "ocio" / "openvpcal-example"
                                                            / "config.ocio")
