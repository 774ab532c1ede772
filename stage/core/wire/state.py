"""The live-state stream: the orchestrator's PUB socket (``endpoints.state``) to every render node.

Two topics, each a two-frame message (topic, UTF-8 JSON):

* ``state/snapshot`` — ``{"v": 1, "v_minor": 0, "rev": N, "state": <LiveState>}``: the whole state at revision
  ``N``. Sent when a subscriber joins (last-value cache), after every scene change, and once a second.
* ``state/delta`` — ``{"v": 1, "v_minor": 0, "rev": N, "base": N-1, "set": {"dotted.path": value, ...}}``: the
  changes that turn revision ``base`` into ``N``; at most one per render frame, coalescing bursts.

A node applies a delta only when ``base`` equals its own revision; otherwise it ignores deltas until the next
snapshot (at most a second away), so a missed message never leaves it with a mixed state. Paths name
:class:`~stage.core.live.LiveState` fields; dict entries use their key: ``walls.main.brightness``,
``light_cards.key.intensity``, ``camera_delay_ms.cam1``.

Versions as every wire message (:mod:`stage.core.wire.base`): ``v`` must be the major version; a reader ignores state
fields and delta paths it does not know (a newer orchestrator may add parameters).
"""

from __future__ import annotations

import copy
from typing import Any

import orjson
from pydantic import ValidationError

from stage.core.live import LiveState
from stage.core.wire.base import WIRE_MINOR, check_major, known_fields
from stage.core.wire.pose import WIRE_VERSION, WireError

SNAPSHOT_TOPIC = "state/snapshot"
DELTA_TOPIC = "state/delta"
SNAPSHOT_INTERVAL_S = 1.0


def encode_snapshot(rev: int, state: LiveState) -> list[bytes]:
    body = {"v": WIRE_VERSION, "v_minor": WIRE_MINOR, "rev": rev, "state": state.model_dump(mode="json")}
    return [SNAPSHOT_TOPIC.encode(), orjson.dumps(body)]


def encode_delta(rev: int, base: int, changes: dict[str, Any]) -> list[bytes]:
    body = {"v": WIRE_VERSION, "v_minor": WIRE_MINOR, "rev": rev, "base": base, "set": changes}
    return [DELTA_TOPIC.encode(), orjson.dumps(body)]


def _body(frames: list[bytes]) -> tuple[str, dict]:
    if len(frames) != 2:
        raise WireError(f"expected 2 frames, got {len(frames)}")
    try:
        topic = frames[0].decode()
        body = orjson.loads(frames[1])
    except (UnicodeDecodeError, orjson.JSONDecodeError) as exc:
        raise WireError(f"undecodable state message: {exc}") from None
    check_major(body, topic)
    if not isinstance(body.get("rev"), int):
        raise WireError(f"{topic}: body must be an object with an integer rev")
    return topic, body


def decode_state(frames: list[bytes]) -> tuple[str, int, Any]:
    """``(topic, rev, payload)``: a :class:`LiveState` for a snapshot, ``(base, changes)`` for a delta."""
    topic, body = _body(frames)
    if topic == SNAPSHOT_TOPIC:
        try:
            return topic, body["rev"], LiveState.model_validate(known_fields(LiveState, body.get("state")))
        except ValidationError as exc:
            raise WireError(f"{topic}: invalid state: {exc.errors(include_url=False)[0]['msg']}") from None
    if topic == DELTA_TOPIC:
        changes = body.get("set")
        if not isinstance(body.get("base"), int) or not isinstance(changes, dict):
            raise WireError(f"{topic}: needs integer base and an object set")
        return topic, body["rev"], (body["base"], changes)
    raise WireError(f"unknown state topic {topic!r}")


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b.c`` in nested dicts (creating dict entries that don't exist yet)."""
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise KeyError(path)
    node[parts[-1]] = value


def apply_changes(state: LiveState, changes: dict[str, Any], ignore_unknown: bool = False) -> LiveState:
    """A new validated state with ``changes`` applied; raises ``ValueError`` naming the bad path. With
    ``ignore_unknown`` (a reader of the wire), paths this version's :class:`LiveState` does not define are dropped."""
    data = copy.deepcopy(state.model_dump(mode="json"))
    for path, value in changes.items():
        try:
            set_path(data, path, value)
        except KeyError:
            if not ignore_unknown:
                raise ValueError(f"{path}: not a live parameter") from None
    if ignore_unknown:
        data = known_fields(LiveState, data)
    try:
        return LiveState.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        raise ValueError(f"{'.'.join(map(str, err['loc']))}: {err['msg']}") from None


class StateFollower:
    """A render node's copy of the live state: applies snapshots and in-order deltas, ignores the rest."""

    def __init__(self, initial: LiveState):
        self.state = initial
        self.rev = -1
        self.ignored = 0

    def handle(self, frames: list[bytes]) -> bool:
        """Apply one message; True when the state changed. Raises :class:`WireError` for malformed messages."""
        topic, rev, payload = decode_state(frames)
        if topic == SNAPSHOT_TOPIC:
            if rev == self.rev:
                return False
            self.state, self.rev = payload, rev
            return True
        base, changes = payload
        if base != self.rev:
            self.ignored += 1
            return False
        try:
            self.state = apply_changes(self.state, changes, ignore_unknown=True)
        except ValueError as exc:
            raise WireError(f"state/delta rev {rev}: {exc}") from None
        self.rev = rev
        return True
