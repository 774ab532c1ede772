"""The OSC endpoint over real loopback UDP: every address, bad input, allow-list, echoes, full state, bursts."""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.udp_client import SimpleUDPClient

from stage.app.orchestrator.osc_server import OscServer
from stage.app.orchestrator.status_text import osc_line
from stage.app.orchestrator.store import StateStore
from tests.orchestrator import SCENES, WALLS, Tablet, encode, make_store, pump

log = logging.getLogger(__name__)


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return make_store(tmp_path / "presets")


@pytest.fixture
def server(store: StateStore) -> Iterator[OscServer]:
    srv = OscServer(store, "127.0.0.1", 0, ["127.0.0.0/8", "::1/128"])
    yield srv
    srv.close()


@pytest.fixture
def tablet(server: OscServer) -> Iterator[Tablet]:
    t = Tablet(server)
    yield t
    t.close()


# (address, args as sent, parameter path, value held afterwards); each is sent once with floats, once with ints
NUMERIC = [
    ("/stage/exposure", [2], "exposure_ev", 2.0),
    ("/stage/whitebalance", [5600], "white_balance_k", 5600.0),
    ("/stage/tint", [1], "tint", 1.0),
    ("/stage/frustum/overscan", [20], "overscan_pct", 20.0),
    ("/stage/frustum/softedge", [12], "soft_edge_pct", 12.0),
    ("/stage/frustum/chromakey", [1], "chroma_key", True),
    *[(f"/stage/wall/{w}/brightness", [2], f"walls.{w}.brightness", 2.0) for w in WALLS],
    *[(f"/stage/wall/{w}/enable", [0], f"walls.{w}.enabled", False) for w in WALLS],
    ("/stage/background/offset", [1, -2, 3], "offset_m", [1.0, -2.0, 3.0]),
    ("/stage/background/yaw", [45], "yaw_deg", 45.0),
    ("/stage/background/scale", [2], "scale", 2.0),
    ("/stage/timeofday", [18], "time_of_day_h", 18.0),
    ("/stage/tracking/freeze", [1], "tracking_freeze", True),
    ("/stage/lightcard/key/enable", [0], "light_cards.key.enabled", False),
    ("/stage/lightcard/key/intensity", [3], "light_cards.key.intensity", 3.0),
    ("/stage/lightcard/key/color", [1, 0, 1], "light_cards.key.color", [1.0, 0.0, 1.0]),
    ("/stage/lightcard/key/position", [1, 0], "light_cards.key.center_uv", [1.0, 0.0]),
    ("/stage/lightcard/key/softness", [1], "light_cards.key.softness", 1.0),
    ("/stage/lightcard/key/size", [2, 1], "light_cards.key.size_m", [2.0, 1.0]),
    ("/stage/lightcard/rim/position", [90, 10], "light_cards.rim.azimuth_deg", 90.0),
    ("/stage/camera/cam1/delay", [40], "camera_delay_ms.cam1", 40.0),
]


@pytest.mark.parametrize("as_float", [True, False], ids=["float", "int"])
@pytest.mark.parametrize(("address", "args", "path", "held"), NUMERIC, ids=[c[0] for c in NUMERIC])
def test_every_numeric_address_takes_floats_and_ints(server: OscServer, tablet: Tablet, store: StateStore,
                                                     address: str, args: list[int], path: str, held: Any,
                                                     as_float: bool) -> None:
    sent = [float(a) for a in args] if as_float else list(args)
    replies = tablet.send(address, *sent)
    assert tablet.errors(replies) == []
    assert store.parameters()[path] == held
    assert server.counters["applied"] == 1
    echoed = dict(replies)[address]  # the sender is a tablet too: its faders get the truth back
    assert [float(v) for v in echoed] == [float(a) for a in args]


def test_commands(server: OscServer, tablet: Tablet, store: StateStore) -> None:
    assert tablet.errors(tablet.send("/stage/scene", "desert")) == []
    assert store.scene_name == "desert"
    replies = tablet.send("/stage/scene/next")
    assert ("/stage/scene", ["demo"]) in replies
    tablet.send("/stage/scene/next", 0.0)  # a push button's release: nothing
    assert store.scene_name == "demo"
    tablet.send("/stage/scene/next", 1)
    assert store.scene_name == "night"
    tablet.send("/stage/exposure", 3.0)
    assert ("/stage/preset/saved", ["p1"]) in tablet.send("/stage/preset/save", "p1")
    tablet.send("/stage/exposure", -3.0)
    tablet.send("/stage/preset/recall", "p1")
    assert store.state.exposure_ev == 3.0
    tablet.send("/stage/undo")
    assert store.state.exposure_ev == -3.0
    tablet.send("/stage/undo", 1.0)
    assert store.state.exposure_ev == 3.0
    assert server.counters["rejected_invalid"] == 0


BAD = [
    ("unknown_address", encode("/stage/nope", [1.0]), "/stage/nope: unknown address"),
    ("unknown_address", encode("/stage/wall/main/colour", [1.0]), "unknown address"),
    ("unknown_name", encode("/stage/wall/nope/brightness", [1.0]), "unknown wall 'nope'"),
    ("unknown_name", encode("/stage/lightcard/nope/position", [0.5, 0.5]), "unknown light card 'nope'"),
    ("unknown_name", encode("/stage/scene", ["moon"]), "known: demo, night, desert"),
    ("unknown_name", encode("/stage/preset/recall", ["none"]), "unknown preset 'none'"),
    ("arg_count", encode("/stage/exposure", []), "expected 1 argument, got 0"),
    ("arg_count", encode("/stage/exposure", [1.0, 2.0]), "expected 1 argument, got 2"),
    ("arg_count", encode("/stage/background/offset", [1.0, 2.0]), "expected 3 arguments"),
    ("arg_count", encode("/stage/undo", [1, 2]), "takes no argument"),
    ("arg_type", encode("/stage/exposure", ["bright"]), "expected a number, got str"),
    ("arg_type", encode("/stage/exposure", [True]), "expected a number, got bool"),
    ("arg_type", encode("/stage/exposure", [b"\x00"]), "expected a number"),
    ("arg_type", encode("/stage/scene", [3]), "expected a string"),
    ("arg_type", encode("/stage/frustum/chromakey", ["on"]), "expected a boolean"),
    ("not_finite", encode("/stage/exposure", [float("nan")]), "finite"),
    ("not_finite", encode("/stage/background/offset", [1.0, float("inf"), 0.0]), "finite"),
    ("out_of_range", encode("/stage/tracking/freeze", [2]), "expected 0 or 1"),
    ("invalid", encode("/stage/preset/save", ["../x"]), "preset name"),
    ("invalid", encode("/stage/undo", []), "nothing to undo"),
]


@pytest.mark.parametrize(("reason", "dgram", "words"), BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_answered_counted_state_unchanged(server: OscServer, tablet: Tablet, store: StateStore,
                                                    reason: str, dgram: bytes, words: str) -> None:
    before = store.parameters()
    errors = tablet.errors(tablet.send_raw(dgram))
    assert len(errors) == 1 and words in errors[0], errors
    assert server.counters[f"rejected_{reason}"] == 1 and server.counters["applied"] == 0
    assert store.parameters() == before and store.take_delta() is None


@pytest.mark.parametrize(
    ("counter", "dgram", "words"),
    [
        ("malformed", b"\x00\x01garbage", "malformed"),
        ("malformed", b"/stage/exposure\x00,f\x00\x00\x00", "malformed"),  # truncated float
        ("malformed", b"#bundle\x00" + b"\x00" * 8 + struct.pack(">i", 400) + b"/x\x00\x00", "malformed"),
        ("oversized", encode("/stage/scene", ["x" * 9000]), "larger than 8192"),
    ],
)
def test_malformed_and_oversized(server: OscServer, tablet: Tablet, store: StateStore, counter: str,
                                 dgram: bytes, words: str) -> None:
    before = store.parameters()
    errors = tablet.errors(tablet.send_raw(dgram))
    assert len(errors) == 1 and words in errors[0]
    assert server.counters[counter] == 1 and store.parameters() == before


def test_clamped_values_echo_the_clamped_value(tablet: Tablet, store: StateStore) -> None:
    replies = tablet.send("/stage/exposure", 42.0)
    assert tablet.errors(replies) == [] and dict(replies)["/stage/exposure"] == [10.0]


def test_bundle_applies_every_message(tablet: Tablet, store: StateStore) -> None:
    bundle = OscBundleBuilder(IMMEDIATELY)
    for address, value in [("/stage/exposure", 1.0), ("/stage/timeofday", 6.0)]:
        msg = OscMessageBuilder(address)
        msg.add_arg(value)
        bundle.add_content(msg.build())
    tablet.send_raw(bundle.build().dgram)
    assert (store.state.exposure_ev, store.state.time_of_day_h) == (1.0, 6.0)


def test_sender_outside_allow_list_is_ignored(store: StateStore) -> None:
    server = OscServer(store, "127.0.0.1", 0, ["10.0.0.0/8"])
    tablet = Tablet(server)
    try:
        before = store.parameters()
        assert tablet.send("/stage/exposure", 5.0) == []
        assert tablet.send("/stage/state") == []
        assert server.counters["ignored_not_allowed"] == 2 and server.counters["applied"] == 0
        assert store.parameters() == before and server.tablets == []
        store.set("exposure_ev", 1.0)  # and it gets no echoes either
        assert tablet.replies() == []
    finally:
        tablet.close()
        server.close()


def test_echo_reaches_every_tablet_from_any_source(server: OscServer, store: StateStore) -> None:
    first, second = Tablet(server), Tablet(server)
    try:
        assert second.send("/stage/hello") == []
        first.send("/stage/wall/main/brightness", 0.5)
        assert ("/stage/wall/main/brightness", [0.5]) in second.replies()
        store.set("walls.ceiling.enabled", False, source="cli")
        # each change at the parameter's own address and at its legacy alias (older tablets keep working)
        both = [("/stage/walls/ceiling/enabled", [0]), ("/stage/wall/ceiling/enable", [0])]
        assert second.replies() == both and first.replies() == both
        store.save_preset("p")
        store.set_many({"exposure_ev": 2.0, "chroma_key": True})
        first.replies(), second.replies()
        store.recall_preset("p")
        assert sorted(second.replies()) == [("/stage/chroma_key", [0]), ("/stage/exposure", [0.0]),
                                            ("/stage/exposure_ev", [0.0]), ("/stage/frustum/chromakey", [0])]
    finally:
        first.close()
        second.close()


def test_state_request_returns_every_parameter(server: OscServer, tablet: Tablet, store: StateStore) -> None:
    assert "/stage/timeofday" not in dict(tablet.send("/stage/state"))  # left to the scene: nothing to show
    store.set("camera_delay_ms.cam1", 25)
    store.set("time_of_day_h", 14.5)
    replies = tablet.send("/stage/state")
    assert replies[-1] == ("/stage/state/done", [store.rev])
    assert ("/stage/scenes", [Path(s).stem for s in SCENES]) in replies
    got = dict(replies)
    expected = {address for address, *_ in NUMERIC} | {"/stage/scene"}
    assert expected <= set(got)
    assert got["/stage/scene"] == ["demo"] and got["/stage/lightcard/key/position"] == [0.5, pytest.approx(0.4)]
    assert got["/stage/lightcard/rim/position"] == [120.0, 20.0]
    for address, args in replies:  # every reply is something a tablet may send back unchanged
        if address.startswith("/stage/") and address not in ("/stage/scenes", "/stage/state/done"):
            assert tablet.errors(tablet.send(address, *args)) == [], address


def test_burst_of_fader_messages_is_absorbed(server: OscServer, store: StateStore) -> None:
    client = SimpleUDPClient("127.0.0.1", server.port)
    n, chunk = 2000, 100
    store.take_delta()
    start = time.perf_counter()
    for i in range(n):
        client.send_message("/stage/wall/main/brightness", (i + 1) / n * 2.0)
        if (i + 1) % chunk == 0:  # keep the kernel buffer from overflowing: the test is one thread
            pump(server, chunk)
    elapsed = time.perf_counter() - start
    rate = n / elapsed
    log.info("burst: %d messages in %.3f s = %.0f msg/s", n, elapsed, rate)
    print(f"\nburst: {n} fader messages handled in {elapsed:.3f} s = {rate:.0f} msg/s")
    # Each batch coalesces a run of changes to one parameter: only the last of the run is applied.
    applied, coalesced = server.counters["applied"], server.counters["coalesced"]
    assert server.counters["received"] == n and applied + coalesced == n and applied <= n // chunk * 2
    assert store.state.walls["main"].brightness == 2.0
    rev, base, changes = store.take_delta()
    assert (rev - base, changes) == (applied, {"walls.main.brightness": 2.0})
    assert store.take_delta() is None
    assert rate > 1000
    client._sock.close()


@pytest.mark.parametrize("sent", [0.6, 0.1, 1.3, 0.35])
def test_float32_arguments_keep_the_value_the_user_meant(tablet: Tablet, store: StateStore, sent: float) -> None:
    """An OSC ``f`` carries float32: 0.6 arrives as 0.6000000238418579. The store keeps 0.6 (shortest float32
    round-trip), so status, presets and echoes show what the director typed or dragged to."""
    tablet.send("/stage/wall/main/brightness", sent)
    tablet.send("/stage/lightcard/key/color", sent / 2, 0.7, 1.0)
    assert store.parameters()["walls.main.brightness"] == sent
    assert store.parameters()["light_cards.key.color"] == [sent / 2, 0.7, 1.0]


def test_double_arguments_are_not_rounded_to_float32(tablet: Tablet, store: StateStore) -> None:
    msg = OscMessageBuilder("/stage/exposure")
    msg.add_arg(0.123456789012, OscMessageBuilder.ARG_TYPE_DOUBLE)
    tablet.send_raw(msg.build().dgram)
    assert store.state.exposure_ev == 0.123456789012


def test_refused_messages_are_logged_rate_limited_with_address_and_reason(
        store: StateStore, caplog: pytest.LogCaptureFixture) -> None:
    """A sender outside the allow-list and a refused message leave a trace: a rate-limited WARNING naming the
    address and reason, the count, and the last reason for ``stage status``."""
    outsider = OscServer(store, "127.0.0.1", 0, ["10.0.0.0/8"])
    tablet = Tablet(outsider)
    try:
        with caplog.at_level(logging.WARNING, logger="stage.app.orchestrator.osc_server"):
            for _ in range(20):
                tablet.send("/stage/exposure", 5.0)
        lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(lines) == 1 and "/stage/exposure" in lines[0] and "allowed_clients" in lines[0], lines
        assert outsider.counters["ignored_not_allowed"] == 20
        assert outsider.last_reject is not None and "/stage/exposure: sender not in" in outsider.last_reject
        assert "20 rejected (20 not allowed), last: 127.0.0.1:" in osc_line(outsider.counters, outsider.last_reject)
    finally:
        tablet.close()
        outsider.close()


def test_a_refused_message_is_logged_and_its_reason_kept(server: OscServer, tablet: Tablet,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="stage.app.orchestrator.osc_server"):
        tablet.send("/stage/wall/nowhere/brightness", 0.5)
    assert any("unknown_name" in r.getMessage() and "nowhere" in r.getMessage() for r in caplog.records)
    assert "unknown wall 'nowhere'" in (server.last_reject or "")
    assert "1 rejected, last: 127.0.0.1:" in osc_line(server.counters, server.last_reject)


def test_every_applied_change_is_logged_with_origin_and_old_and_new_value(
        tablet: Tablet, store: StateStore, caplog: pytest.LogCaptureFixture) -> None:
    """The audit trail of the shoot: one INFO line per applied change, ``origin: path old → new``."""
    with caplog.at_level(logging.INFO, logger="stage.audit"):
        tablet.send("/stage/wall/main/brightness", 0.6)
        store.set("exposure_ev", 1.5, source="cli")
        store.set("exposure_ev", 1.5, source="cli")  # no change, no line
    lines = [r.getMessage() for r in caplog.records if r.name == "stage.audit"]
    port = tablet.sock.getsockname()[1]
    assert lines == [f"osc 127.0.0.1:{port}: walls.main.brightness 1.0 → 0.6", "cli: exposure_ev 0.0 → 1.5"]


@pytest.mark.parametrize(("address", "args", "path"), [
    ("/stage/exposure_ev", [1.5], "exposure_ev"), ("/stage/white_balance_k", [5600.0], "white_balance_k"),
    ("/stage/offset_m", [1.0, 2.0, 0.5], "offset_m"), ("/stage/walls/main/brightness", [0.5], "walls.main.brightness"),
    ("/stage/walls/ceiling/enabled", [0], "walls.ceiling.enabled"),
    ("/stage/light_cards/key/center_uv", [0.25, 0.75], "light_cards.key.center_uv"),
    ("/stage/light_cards/rim/azimuth_deg", [45.0], "light_cards.rim.azimuth_deg"),
    ("/stage/camera_delay_ms/cam1", [20.0], "camera_delay_ms.cam1"),
])
def test_every_parameter_has_an_address_named_after_it(tablet: Tablet, store: StateStore, address: str,
                                                       args: list[Any], path: str) -> None:
    """One vocabulary: a parameter's OSC address is its ``stage set`` path (the LiveState field names) with ``/``."""
    replies = tablet.send(address, *args)
    assert tablet.errors(replies) == []
    held = store.parameters()[path]
    assert held == (args if len(args) > 1 else (bool(args[0]) if isinstance(held, bool) else args[0]))
    assert dict(replies)[address] == args  # echoed at the address it was set on


def test_an_unknown_address_suggests_the_nearest(tablet: Tablet) -> None:
    errors = tablet.errors(tablet.send("/stage/exposure_eV", 1.0))
    assert errors == ["/stage/exposure_eV: unknown address; did you mean /stage/exposure_ev?"]
