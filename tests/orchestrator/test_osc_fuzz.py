"""Property test over real UDP: random datagrams, addresses and argument types never crash the server, and the
state changes only through valid messages (a refused one is answered with ``/stage/error`` and changes nothing)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stage.app.orchestrator.osc_map import route
from stage.app.orchestrator.osc_server import OscServer
from tests.orchestrator import WALLS, Tablet, encode, make_store

ADDRESSES = [
    "/stage/scene", "/stage/scene/next", "/stage/exposure", "/stage/whitebalance", "/stage/frustum/overscan",
    "/stage/frustum/softedge", "/stage/frustum/chromakey", "/stage/background/offset", "/stage/background/yaw",
    "/stage/timeofday", "/stage/tracking/freeze", "/stage/undo", "/stage/state", "/stage/preset/recall",
    "/stage/lightcard/key/enable", "/stage/lightcard/key/intensity", "/stage/lightcard/key/color",
    "/stage/lightcard/key/position", "/stage/lightcard/rim/position", "/stage/camera/cam1/delay",
    *[f"/stage/wall/{w}/{leaf}" for w in WALLS for leaf in ("brightness", "enable")],
    "/stage/wall/nope/brightness", "/stage/lightcard/nope/color", "/stage", "/stage/", "/x", "/stage/wall//enable",
]
ARG = st.one_of(
    st.floats(width=32),
    st.integers(-(2**31), 2**31 - 1),
    st.sampled_from([0, 1, 0.0, 1.0, -0.0]),
    st.booleans(),
    st.text(max_size=12),
    st.binary(max_size=8),
)
MESSAGE = st.tuples(st.one_of(st.sampled_from(ADDRESSES), st.text(min_size=1, max_size=20).map(lambda s: "/" + s)),
                    st.lists(ARG, max_size=4))
DATAGRAM = st.one_of(
    MESSAGE.map(lambda m: ("msg", m)),
    st.binary(max_size=64).map(lambda b: ("raw", b)),
    MESSAGE.map(lambda m: ("cut", m)),  # a valid message cut short
)


def test_random_datagrams_never_crash_and_only_valid_messages_change_state() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = make_store(Path(tmp))
        server = OscServer(store, "127.0.0.1", 0, ["127.0.0.0/8"])
        tablet = Tablet(server)
        try:
            _fuzz(server, tablet)
            assert tablet.errors(tablet.send("/stage/exposure", 1.0)) == []  # still serving
            assert store.state.exposure_ev == 1.0
        finally:
            tablet.close()
            server.close()


def _fuzz(server: OscServer, tablet: Tablet) -> None:
    store = server.store

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(DATAGRAM)
    def check(item: tuple[str, object]) -> None:
        kind, payload = item
        if kind == "raw":
            data = payload
        else:
            address, args = payload
            try:
                data = encode(address, args)
            except Exception:  # the builder refuses some inputs (e.g. addresses with NULs): send raw bytes
                data = address.encode("utf-8", "replace")
            if kind == "cut":
                data = data[: max(1, len(data) - 3)]
        before, rev = store.parameters(), store.rev
        replies = tablet.send_raw(data)
        errors = tablet.errors(replies)
        if errors:
            assert len(errors) == 1 and store.parameters() == before and store.rev == rev
        elif store.rev != rev:
            # a change: only from a well-formed message to a real address with acceptable arguments
            assert kind == "msg"
            address, args = payload
            route(address, list(args), store.state)  # must not raise for what was just accepted
        tablet.replies()

    check()
    counted = sum(v for k, v in server.counters.items() if k.startswith("rejected_"))
    counted += server.counters["applied"] + server.counters["malformed"] + server.counters["oversized"]
    assert server.counters["received"] >= 300 and counted == server.counters["received"]
