"""The shipped Open Stage Control session (docs/tablet/vpstage.json) as Open Stage Control 1.29.8 would run it.

The app's rules (property lists, captions, ``typeTags``, ``auto`` addresses, double tap, dropdown display) are data
in tests/orchestrator/open_stage_control.py, with the source files and commits they were read from. The session is
loaded into a model of the app (tablet_model.py) that talks to a real :class:`OscServer` over loopback UDP.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from pythonosc.osc_message_builder import OscMessageBuilder

from stage.app.orchestrator import osc_tablet
from stage.app.orchestrator.osc_map import LEGACY_SIMPLE, ChangeError, coerce, route
from stage.app.orchestrator.store import StateStore
from tests.orchestrator import REPO, SCENES, WALLS, Tablet, make_store, served_store
from tests.orchestrator.open_stage_control import (
    APP_VERSION,
    CAPTION,
    CONTAINERS,
    CONVERTER_VERSIONS,
    PROPS,
    SENDS_OSC,
    address,
    dropdown_text,
)
from tests.orchestrator.tablet_model import TabletModel, Typed, widgets

SESSION = REPO / "docs" / "tablet" / "vpstage.json"
REPLIES = {"/stage/scenes", "/stage/error", "/stage/state/done", "/stage/preset/saved"}
"""Server → tablet only: widgets listen on these."""


@pytest.fixture(scope="module")
def session() -> dict[str, Any]:
    return json.loads(SESSION.read_text(encoding="utf-8"))


@pytest.fixture
def stage(tmp_path: Path):
    """The demo store (a card ``key`` on the main wall) behind a real OSC server, and a loopback tablet."""
    with served_store(tmp_path) as served:
        yield served


def datagram(addr: str, typed: Typed) -> bytes:
    builder = OscMessageBuilder(address=addr)
    for tag, value in typed:
        assert not (isinstance(value, float) and math.isnan(value)), f"{addr}: {tag} argument is NaN (lost value)"
        builder.add_arg(value, tag)
    return builder.build().dgram


def exchange(model: TabletModel, tablet: Tablet) -> list[str]:
    """Send everything the app queued, one datagram at a time, and feed every reply back; returns the errors."""
    errors = []
    while model.outbox:
        addr, typed = model.outbox.pop(0)
        for reply, args in tablet.send_raw(datagram(addr, typed)):
            if reply == "/stage/error":
                errors.append(args[0])
            model.receive(reply, args)
    return errors


def loaded(session: dict[str, Any], tablet: Tablet) -> TabletModel:
    model = TabletModel(session)
    model.load()
    assert exchange(model, tablet) == []
    return model


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


# ---- the file --------------------------------------------------------------------------------------------------

def test_session_is_generated_from_the_live_state() -> None:
    assert osc_tablet.main(["--check"]) == 0, "run: python -m stage.app.orchestrator.osc_tablet"


def test_session_targets_the_pinned_app_version(session: dict[str, Any]) -> None:
    assert session["version"] == APP_VERSION == osc_tablet.APP_VERSION
    assert session["type"] == "session" and session["content"]["type"] == "root"
    assert all(_version(session["version"]) > _version(v) for v in CONVERTER_VERSIONS), "a converter would rewrite it"


def test_every_property_is_one_the_app_keeps(session: dict[str, Any]) -> None:
    """The app deletes properties its widget type does not define (parser.js)."""
    ids = [w["id"] for w in widgets(session["content"])]
    assert len(ids) == len(set(ids)), "widget ids must be unique"
    for w in widgets(session["content"]):
        assert w["type"] in PROPS, f"{w['id']}: widget type {w['type']!r}"
        dropped = set(w) - PROPS[w["type"]]
        assert not dropped, f"{w['id']} ({w['type']}): the app drops {sorted(dropped)}"


def test_captions_use_the_property_each_widget_shows(session: dict[str, Any]) -> None:
    assert [t["label"] for t in session["content"]["tabs"]] == ["Scene", "Camera", "Walls", "Light cards", "Presets"]
    for w in widgets(session["content"]):
        if w["type"] in CAPTION:
            text = w.get(CAPTION[w["type"]], "")
            assert isinstance(text, str) and text.strip() and text != "auto", f"{w['id']}: no caption"
        if w["type"] == "dropdown":
            assert w.get("label", "auto") == "auto", f"{w['id']}: label replaces the value on a dropdown"


# ---- what the app sends ----------------------------------------------------------------------------------------

def test_every_widget_that_sends_uses_an_address_the_server_serves(session: dict[str, Any], tmp_path: Path) -> None:
    """Including ``auto`` addresses: a container would send its tab index or scroll position to ``/<id>``."""
    state = make_store(tmp_path).state
    for w in widgets(session["content"]):
        if w["type"] in CONTAINERS:
            assert w.get("bypass") is True, f"{w['id']}: a {w['type']} sends to {address(w)}"
        if w["type"] not in SENDS_OSC or w.get("bypass"):
            continue
        assert not address(w).startswith("/tablet/"), f"{w['id']}: local-only widgets must be bypassed"
        try:
            route(address(w), [], state)
        except ChangeError as exc:
            assert exc.reason != "unknown_address", f"{w['id']}: {exc}"
    for w in widgets(session["content"]):  # widgets that only listen listen to real replies or parameters
        if w.get("bypass") and address(w).startswith("/stage/") and address(w) not in REPLIES:
            with pytest.raises(ChangeError) as err:
                route(address(w), [], state)
            assert err.value.reason == "arg_count", address(w)


def test_every_message_the_tablet_sends_is_accepted(session: dict[str, Any], stage) -> None:
    """Load the session, then act on every widget in turn: each message, typed by the app's ``typeTags`` rules
    (a script's ``send()`` reuses its widget's tags), is accepted; presets are saved and recalled by name."""
    store, server, tablet = stage
    model = loaded(session, tablet)
    for w in widgets(session["content"]):
        if w["type"] == "input":
            model.set_value(w, "golden-hour", run_script=False)
    sent: list[tuple[str, Typed]] = []
    for w in widgets(session["content"]):
        model.touch(w)
        sent += model.outbox
        assert exchange(model, tablet) == [], w["id"]
    addresses = {a for a, _ in sent}
    assert not any(a.startswith("/tablet/") or a in ("/root",) for a in addresses), addresses
    assert ("/stage/preset/save", [("s", "golden-hour")]) in sent
    assert ("/stage/preset/recall", [("s", "golden-hour")]) in sent
    assert (store.presets_dir / "golden-hour.yaml").is_file()
    assert not any(v for k, v in server.counters.items() if k.startswith("rejected_"))
    assert server.counters["malformed"] == 0


# ---- what the app shows ----------------------------------------------------------------------------------------

def test_scene_dropdown_shows_the_scene_after_sync(session: dict[str, Any], stage) -> None:
    store, _, tablet = stage
    model = loaded(session, tablet)
    assert model.values["scene"] == store.scene_name == "demo"
    assert dropdown_text(model.by_id["scene"].get("label"), model.values["scene"]) == "demo"


def test_scene_dropdown_needs_the_list_first(session: dict[str, Any]) -> None:
    """The app's dropdown keeps nothing selected when its value arrives before the list (the old order)."""
    model = TabletModel(session)
    model.receive("/stage/scene", ["night"])
    model.receive("/stage/scenes", ["demo", "night", "desert"])
    assert model.values["scene"] is None
    model.receive("/stage/scene", ["night"])
    assert model.values["scene"] == "night"


def test_scene_change_reaches_a_tablet_that_only_said_hello(session: dict[str, Any], stage) -> None:
    store, server, _ = stage
    other = Tablet(server)
    try:
        model = TabletModel(session)
        other.send("/stage/hello")
        store.set_scene("night", source="cli")
        replies = other.replies()
        assert [a for a, _ in replies] == ["/stage/scenes", "/stage/scene"]
        for addr, args in replies:
            model.receive(addr, args)
        assert model.values["scene"] == "night"
    finally:
        other.close()


def test_state_sync_sends_the_scene_list_first(stage) -> None:
    store, _, tablet = stage
    replies = tablet.send("/stage/state")
    assert replies[0] == ("/stage/scenes", [Path(s).stem for s in SCENES])
    assert replies.index(("/stage/scene", [store.scene_name])) > 0
    assert replies[-1] == ("/stage/state/done", [store.rev])


# ---- defaults and double tap -----------------------------------------------------------------------------------

def _close(a: Any, b: Any) -> bool:
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


def test_double_tap_resets_to_the_stage_start_value(session: dict[str, Any], stage) -> None:
    """Every fader and pad the state sync sets has a double tap back to that start value; double tapping them all
    on a fresh stage leaves every parameter where it was. A fader with nothing to reset to has no double tap."""
    store, _, tablet = stage
    model = loaded(session, tablet)
    before = store.parameters()
    for w in widgets(session["content"]):
        if w["type"] not in ("fader", "xy"):
            continue
        if w["id"] not in model.synced:
            assert not w.get("doubleTap"), f"{w['id']}: double tap would reset to the bottom of the range"
            continue
        assert w.get("doubleTap") is True, f"{w['id']}: no double tap"
        assert _close(w.get("default", ""), model.values[w["id"]]), f"{w['id']}: default {w.get('default')!r}"
        model.double_tap(w)
        assert exchange(model, tablet) == [], w["id"]
    after = store.parameters()
    assert after.keys() == before.keys()
    for path, value in before.items():
        if isinstance(value, int | float) and not isinstance(value, bool) or isinstance(value, list):
            assert _close(after[path], value), path
        else:
            assert after[path] == value, path


def test_fader_ranges_lie_within_the_value_rules(session: dict[str, Any], tmp_path: Path) -> None:
    """A fader or pad that sends a parameter spans no value the server would clamp, and holds its default."""
    store: StateStore = make_store(tmp_path)
    for w in widgets(session["content"]):
        if w["type"] not in ("fader", "xy") or w.get("bypass"):
            continue
        ranges = [w["range"]] if w["type"] == "fader" else [w["rangeX"], w["rangeY"]]
        for end in ("min", "max"):
            args = [r[end] for r in ranges]
            changes = route(address(w), args, store.state).changes or {}
            flat = [v for path, value in changes.items()
                    for v in (coerce(path, value, store.state, ["cam1"]) if isinstance(value, list)
                              else [coerce(path, value, store.state, ["cam1"])])]
            for arg, got in zip(args, flat, strict=True):
                assert got == arg or abs(got - arg) == 360, f"{w['id']}: {end} {arg} is clamped to {got}"
        if "default" in w:
            defaults = w["default"] if isinstance(w["default"], list) else [w["default"]]
            for r, d in zip(ranges, defaults, strict=True):
                assert min(r["min"], r["max"]) <= d <= max(r["min"], r["max"]), w["id"]


def test_layout_covers_the_demo_stage(session: dict[str, Any]) -> None:
    addresses = {address(w) for w in widgets(session["content"])}
    for w in widgets(session["content"]):
        for script in (w.get("onValue", ""), w.get("onCreate", "")):
            addresses.update(part.split("'")[1] for part in script.split("send(")[1:])
    for wall in WALLS:
        assert {f"/stage/walls/{wall}/brightness", f"/stage/walls/{wall}/enabled"} <= addresses
    for leaf in ("enabled", "intensity", "color", "center_uv", "softness"):
        assert f"/stage/light_cards/key/{leaf}" in addresses
    for addr in ("/stage/scene", "/stage/scene/next", "/stage/exposure_ev", "/stage/white_balance_k", "/stage/tint",
                 "/stage/overscan_pct", "/stage/soft_edge_pct", "/stage/chroma_key",
                 "/stage/tracking_freeze", "/stage/offset_m", "/stage/yaw_deg",
                 "/stage/scale", "/stage/time_of_day_h", "/stage/preset/save", "/stage/preset/recall",
                 "/stage/undo", "/stage/state", "/stage/hello"):
        assert addr in addresses, addr
    # one vocabulary: every parameter widget uses the parameter's own address, none a legacy alias
    legacy = {a for a, path in LEGACY_SIMPLE.items() if a != f"/stage/{path}"}
    legacy |= {a for a in addresses if a.startswith(("/stage/wall/", "/stage/lightcard/"))}
    assert not addresses & legacy, addresses & legacy


def test_ocio_stage_tablet_switches_display_view_and_look(tmp_path: Path) -> None:
    """A stage with an OCIO config gets a text input per wall for display, view and look (widgets the app keeps,
    sending ``s``); the server takes a valid name and refuses an unknown one with the choices."""
    from stage.core.config import load_stage_config
    from stage.core.live import LiveState

    config = load_stage_config(REPO / "configs" / "demo-aces-openvpcal.yaml")
    state = LiveState.from_config(config, scene=SCENES[0])
    session = osc_tablet.build_session(state, ocio=config.color.ocio_config is not None)
    inputs = {w["address"]: w for w in widgets(session["content"]) if w["type"] == "input" and "address" in w}
    for wall in ("main", "side-right", "ceiling"):
        for leaf in ("display", "view", "look"):
            w = inputs[f"/stage/walls/{wall}/{leaf}"]
            assert w["typeTags"] == "s" and not set(w) - PROPS["input"], w
    assert not any(w["type"] == "input" and "/stage/walls/" in w.get("address", "")
                   for w in widgets(osc_tablet.build_session(make_store(tmp_path).state)["content"]))
    store = StateStore(config, SCENES, state, tmp_path / "presets")
    store.set_many(route("/stage/wall/main/view", ["OpenVPCal PreCalibration"], store.state).changes, source="osc")
    assert store.state.walls["main"].view == "OpenVPCal PreCalibration"
    with pytest.raises(ChangeError, match="views: 'OpenVPCal main - ACEScg'"):
        store.set_many(route("/stage/wall/main/view", ["golden-hour"], store.state).changes, source="osc")
