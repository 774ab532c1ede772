"""The shipped Open Stage Control session (docs/tablet/vpstage.json) speaks the server's address space."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stage.orchestrator.osc_map import ChangeError, route
from tests.orchestrator import REPO, WALLS, make_store

SESSION = REPO / "docs" / "tablet" / "vpstage.json"
REPLIES = {"/stage/scenes", "/stage/error", "/stage/state/done", "/stage/preset/saved"}
"""Server → tablet only: widgets listen on these."""
SEND_RE = re.compile(r"send\(\s*'(/[^']*)'")


def widgets(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("tabs", []) + node.get("widgets", []):
        yield from widgets(child)


@pytest.fixture(scope="module")
def session() -> dict[str, Any]:
    return json.loads(SESSION.read_text(encoding="utf-8"))


def sent_addresses(session: dict[str, Any]) -> set[str]:
    """Every address the layout can send: widget addresses (unless bypassed) and ``send('/...')`` in scripts."""
    out = set()
    for w in widgets(session["content"]):
        address = w.get("address")
        if address and not w.get("bypass"):
            out.add(address)
        for prop in ("onValue", "onCreate"):
            out.update(SEND_RE.findall(w.get(prop, "")))
    return out


def test_session_shape(session: dict[str, Any]) -> None:
    assert session["type"] == "session" and session["content"]["type"] == "root"
    assert [t["label"] for t in session["content"]["tabs"]] == ["Scene", "Camera", "Walls", "Light cards", "Presets"]
    ids = [w["id"] for w in widgets(session["content"])]
    assert len(ids) == len(set(ids)), "widget ids must be unique"
    assert "send('/stage/state')" in session["content"]["onCreate"]


def test_every_address_is_served(session: dict[str, Any], tmp_path: Path) -> None:
    state = make_store(tmp_path).state
    for address in sorted(sent_addresses(session)):
        assert not address.startswith("/tablet/"), f"{address}: local-only widgets must be bypassed"
        try:
            route(address, [], state)
        except ChangeError as exc:
            assert exc.reason != "unknown_address", str(exc)
    for w in widgets(session["content"]):  # widgets that only listen listen to real replies or parameters
        address = w.get("address", "")
        if w.get("bypass") and address.startswith("/stage/") and address not in REPLIES:
            with pytest.raises(ChangeError) as err:
                route(address, [], state)
            assert err.value.reason == "arg_count", address


def test_layout_covers_the_demo_stage(session: dict[str, Any]) -> None:
    addresses = sent_addresses(session) | {w.get("address") for w in widgets(session["content"])}
    for wall in WALLS:
        assert {f"/stage/wall/{wall}/brightness", f"/stage/wall/{wall}/enable"} <= addresses
        assert {f"/stage/wall/{wall}/{leaf}" for leaf in ("display", "view", "look")} <= addresses  # OCIO
    for leaf in ("enable", "intensity", "color", "position"):
        assert f"/stage/lightcard/key/{leaf}" in addresses
    for address in ("/stage/scene", "/stage/scene/next", "/stage/exposure", "/stage/whitebalance",
                    "/stage/frustum/overscan", "/stage/frustum/softedge", "/stage/frustum/chromakey",
                    "/stage/tracking/freeze", "/stage/background/offset", "/stage/background/yaw",
                    "/stage/timeofday", "/stage/preset/save", "/stage/preset/recall", "/stage/undo",
                    "/stage/state", "/stage/hello"):
        assert address in addresses, address
