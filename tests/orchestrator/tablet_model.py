"""A model of the shipped session running in Open Stage Control 1.29.8, by the app's rules (open_stage_control.py).

It holds every widget's value, applies incoming messages to the widgets listening on their address, runs the
session's scripts (only the ``send(...)`` / ``set(...)`` statements the layout uses: anything else fails the test)
and queues what the app would send, typed as its server would type it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from tests.orchestrator.open_stage_control import (
    CONTAINERS,
    SENDS_OSC,
    address,
    menu_values,
    osc_args,
    received,
)

Typed = list[tuple[str, Any]]


def widgets(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("tabs", []) + node.get("widgets", []):
        yield from widgets(child)


def split_top(text: str) -> list[str]:
    """Split JavaScript arguments at top-level commas."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    tail = text[start:].strip()
    return parts + [tail] if tail else parts


def _literal(expr: str) -> str:
    m = re.fullmatch(r"'([^']*)'", expr.strip())
    assert m, f"expected a quoted string, got {expr!r}"
    return m.group(1)


def _index(value: Any, indexes: str) -> Any:
    for i in re.findall(r"\[(\d+)\]", indexes):
        value = value[int(i)]
    return value


def _clip(v: float, rng: dict[str, float]) -> float:
    lo, hi = sorted((rng["min"], rng["max"]))
    return min(max(float(v), lo), hi)


class TabletModel:
    """The session's widgets with their values; ``outbox`` holds ``(address, typed args)`` the app would send."""

    def __init__(self, session: dict[str, Any]):
        self.root = session["content"]
        self.by_id = {w["id"]: w for w in widgets(self.root)}
        self.values: dict[str, Any] = {wid: self._initial(w) for wid, w in self.by_id.items()}
        self.synced: set[str] = set()
        """Widgets that an incoming message (or an echo's script) has set."""
        self.outbox: list[tuple[str, Typed]] = []

    def _initial(self, w: dict[str, Any]) -> Any:
        default = w.get("default", "")
        kind = w["type"]
        if kind == "fader":
            return _clip(default if default != "" else w.get("range", {"min": 0})["min"], w.get("range", {"min": 0,
                         "max": 1}))
        if kind == "xy":
            d = default if default != "" else [0, 0]
            return [_clip(d[0], w["rangeX"]), _clip(d[1], w["rangeY"])]
        if kind == "button":
            return w.get("off", 0)
        if kind == "dropdown":
            return None
        return default

    def load(self) -> None:
        """What happens when the session opens: every ``onCreate`` runs (the root's asks for the state)."""
        for w in widgets(self.root):
            if w.get("onCreate"):
                self.run(w, w["onCreate"], self.values[w["id"]])

    # ---- incoming -------------------------------------------------------------------------------------------

    def receive(self, addr: str, args: list[Any]) -> None:
        """An OSC message from the server reaches every widget listening on ``addr`` (bypassed ones too)."""
        for w in widgets(self.root):
            if address(w) == addr:
                self.synced.add(w["id"])
                self.set_value(w, received(args), run_script=True)

    def set_value(self, w: dict[str, Any], v: Any, run_script: bool) -> None:
        kind, wid = w["type"], w["id"]
        if kind == "fader":
            if isinstance(v, bool) or not isinstance(v, int | float):
                return
            self.values[wid] = _clip(v, w["range"])
        elif kind == "xy":
            if not isinstance(v, list) or len(v) != 2:
                return
            self.values[wid] = [_clip(v[0], w["rangeX"]), _clip(v[1], w["rangeY"])]
        elif kind == "dropdown":
            options = menu_values(self.resolve(w.get("values", "")))
            self.values[wid] = v if v in options else None
        elif kind == "input" and isinstance(v, str):
            try:
                self.values[wid] = json.loads(v)
            except ValueError:
                self.values[wid] = v
        else:
            self.values[wid] = v
        if run_script and w.get("onValue"):
            self.run(w, w["onValue"], self.values[wid])

    def resolve(self, prop: Any) -> Any:
        """``@{id}`` is that widget's value."""
        if isinstance(prop, str) and (m := re.fullmatch(r"@\{([^}.]+)\}", prop)):
            return self.values[m.group(1)]
        return prop

    # ---- scripts and outgoing -------------------------------------------------------------------------------

    def run(self, w: dict[str, Any], script: str, value: Any) -> None:
        for line in script.splitlines():
            stmt = line.strip()
            if not stmt:
                continue
            m = re.fullmatch(r"(send|set)\((.*)\)", stmt)
            assert m, f"{w['id']}: a script statement the model cannot run: {stmt!r}"
            args = split_top(m.group(2))
            if m.group(1) == "send":
                values = [self.eval(a, value) for a in args[1:]]
                self.outbox.append((_literal(args[0]), osc_args(w.get("typeTags", ""), values)))
            else:
                target = self.by_id[_literal(args[0])]
                options = args[2] if len(args) > 2 else ""
                self.synced.add(target["id"])
                self.set_value(target, self.eval(args[1], value), run_script="script: false" not in options)
                if "send: false" not in options:
                    self.send_own(target)

    def eval(self, expr: str, value: Any) -> Any:
        expr = expr.strip()
        if m := re.fullmatch(r"String\((.*)\)", expr):
            inner = self.eval(m.group(1), value)
            return inner if isinstance(inner, str) else json.dumps(inner)
        if expr.startswith("[") and expr.endswith("]"):
            return [self.eval(p, value) for p in split_top(expr[1:-1])]
        if m := re.fullmatch(r"get\('([^']+)'\)((?:\[\d+\])*)", expr):
            return _index(self.values[m.group(1)], m.group(2))
        if m := re.fullmatch(r"value((?:\[\d+\])*)", expr):
            return _index(value, m.group(1))
        raise AssertionError(f"an expression the model cannot evaluate: {expr!r}")

    def send_own(self, w: dict[str, Any]) -> None:
        """A widget sends its value (``preArgs`` first) unless bypassed; texts and variables only sync."""
        if w.get("bypass") or w["type"] not in SENDS_OSC:
            return
        value = self.values[w["id"]]
        decimals = w.get("decimals", 2)
        value = [round(v, decimals) for v in value] if isinstance(value, list) else (
            round(value, decimals) if isinstance(value, float) else value)
        pre = w.get("preArgs", "")
        args = (pre if isinstance(pre, list) else [] if pre == "" else [pre]) + (
            value if isinstance(value, list) else [value])
        self.outbox.append((address(w), osc_args(w.get("typeTags", ""), args)))

    def touch(self, w: dict[str, Any]) -> None:
        """The user acts on ``w``: a button is pressed (a toggle flips), a fader or pad is let go where it is, a
        dropdown picks its second option, a container switches tab or scrolls."""
        kind, wid = w["type"], w["id"]
        if kind == "button":
            on = w.get("on", 1)
            new = on if w.get("mode") != "toggle" or self.values[wid] != on else w.get("off", 0)
            self.set_value(w, new, run_script=True)
        elif kind in ("fader", "xy"):
            self.set_value(w, self.values[wid], run_script=True)
        elif kind == "dropdown":
            options = menu_values(self.resolve(w.get("values", "")))
            self.set_value(w, options[min(1, len(options) - 1)], run_script=True)
        elif kind in CONTAINERS:
            self.values[wid] = 1 if w.get("tabs") else [0.0, 0.5]
        else:
            return
        self.send_own(w)

    def double_tap(self, w: dict[str, Any]) -> None:
        """A fader's or pad's double tap: back to ``default``, or to the bottom of its range without one."""
        assert w.get("doubleTap") is True
        if w["type"] == "fader":
            target = w.get("default", "")
            target = w["range"]["min"] if target == "" else target
        else:
            target = w.get("default", "")
            target = [w["rangeX"]["min"], w["rangeY"]["min"]] if target == "" else target
        self.set_value(w, target, run_script=True)
        self.send_own(w)
