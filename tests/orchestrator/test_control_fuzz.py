"""Control requests as any local process could send them: whatever the bytes, ``parse_request`` raises only
``RequestError``, and every parsed request gets a reply from ``handle`` (refused, never an exception)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stage.app.orchestrator.control import COMMANDS, Request, RequestError, parse_request
from stage.app.orchestrator.handlers import handle
from tests.orchestrator import make_store

JSON = st.recursive(st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False)
                    | st.text(max_size=20), lambda kids: st.lists(kids, max_size=4)
                    | st.dictionaries(st.text(max_size=8), kids, max_size=4), max_leaves=20)


@given(st.binary(max_size=300))
def test_random_bytes_raise_only_request_error(body: bytes) -> None:
    try:
        parse_request(body)
    except RequestError:
        pass


def test_deep_nesting_is_a_request_error() -> None:
    for body in (b"[" * 5000 + b"]" * 5000, b'{"cmd": "set", "value": ' + b"[" * 5000 + b"]" * 5000 + b"}"):
        try:
            parse_request(body)
        except RequestError:
            continue
        raise AssertionError("accepted")


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(cmd=st.sampled_from([c for c in COMMANDS if c not in ("down", "reload", "status")]),
       args=st.dictionaries(st.sampled_from(["name", "param", "value", "x"]), JSON, max_size=3))
def test_every_parsed_request_gets_a_reply(tmp_path_factory, cmd: str, args: dict) -> None:
    store = make_store(Path(tmp_path_factory.mktemp("presets")))
    orch = SimpleNamespace(store=store, control=SimpleNamespace(failed=0), config=store.config)
    try:
        parsed_cmd, parsed = parse_request(orjson.dumps({"cmd": cmd, **args}))
    except RequestError:
        return
    reply = handle(orch, Request([b"id"], parsed_cmd, parsed))  # type: ignore[arg-type]
    assert isinstance(reply, dict) and isinstance(reply["ok"], bool)
    assert orch.control.failed == 0, reply  # refusals are typed; the last resort is for bugs
