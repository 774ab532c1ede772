"""The value rules of every live parameter and the OSC address space that maps onto them (docs/osc.md).

Pure functions, no sockets: :func:`coerce` checks one ``{dotted.path: value}`` change against :data:`RULES`
(used by OSC and by ``stage set``), :func:`route` turns an OSC address + arguments into an action, and
:func:`to_osc` turns a parameter back into the message a tablet would send, for echoes and ``/stage/state``.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any

from stage.core.live import LiveState, field_limits
from stage.core.pose import wrap_deg


class ChangeError(ValueError):
    """A change that was refused; ``str()`` is one line naming the parameter and the reason, ``reason`` a short
    code for counters (``unknown_address``, ``arg_count``, ``arg_type``, ``not_finite``, ``out_of_range``,
    ``unknown_name``, ``invalid``)."""

    def __init__(self, message: str, reason: str = "invalid"):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Rule:
    """How one parameter's values are checked: ``kind`` is ``number``, ``bool``, ``name`` (a string: its length
    is the :class:`LiveState` field's, the names are checked against the OCIO config by the store) or ``vector``
    (``size`` numbers); out of ``lo..hi`` is clamped when ``clamp``, else rejected; ``wrap`` folds angles into
    [−180, 180) with :func:`stage.core.pose.wrap_deg`. Build number and vector rules with :func:`_limited` so that
    ``lo..hi`` is the :class:`LiveState` field's own range."""

    kind: str
    lo: float = -math.inf
    hi: float = math.inf
    clamp: bool = True
    size: int = 1
    wrap: bool = False


def _limited(key: str, kind: str = "number", size: int = 1, wrap: bool = False) -> Rule:
    lo, hi = field_limits(key)
    return Rule(kind, lo, hi, size=size, wrap=wrap)


RULES: dict[str, Rule] = {
    "exposure_ev": _limited("exposure_ev"),
    "white_balance_k": _limited("white_balance_k"),
    "tint": _limited("tint"),
    "overscan_pct": _limited("overscan_pct"),
    "soft_edge_pct": _limited("soft_edge_pct"),
    "chroma_key": Rule("bool"),
    "walls.*.brightness": _limited("walls.*.brightness"),
    "walls.*.enabled": Rule("bool"),
    "walls.*.display": Rule("name"),
    "walls.*.view": Rule("name"),
    "walls.*.look": Rule("name"),
    "offset_m": _limited("offset_m", "vector", size=3),
    "yaw_deg": _limited("yaw_deg", wrap=True),
    "scale": _limited("scale"),
    "time_of_day_h": _limited("time_of_day_h"),
    "light_cards.*.enabled": Rule("bool"),
    "light_cards.*.intensity": _limited("light_cards.*.intensity"),
    "light_cards.*.color": _limited("light_cards.*.color", "vector", size=3),
    "light_cards.*.center_uv": _limited("light_cards.*.center_uv", "vector", size=2),
    "light_cards.*.azimuth_deg": _limited("light_cards.*.azimuth_deg", wrap=True),
    "light_cards.*.elevation_deg": _limited("light_cards.*.elevation_deg"),
    "light_cards.*.softness": _limited("light_cards.*.softness"),
    "light_cards.*.size_m": _limited("light_cards.*.size_m", "vector", size=2),
    "tracking_freeze": Rule("bool"),
    "camera_delay_ms.*": _limited("camera_delay_ms.*"),
}
"""Every settable parameter (``*`` = a wall, card or camera name). ``scene`` is set through ``set_scene``. Ranges
come from the :class:`~stage.core.live.LiveState` fields (:func:`~stage.core.live.field_limits`)."""

_COLLECTIONS = {"walls": "wall", "light_cards": "light card", "camera_delay_ms": "camera"}


def rule_key(path: str) -> tuple[str, str | None]:
    """``walls.main.brightness`` → ``("walls.*.brightness", "main")``; unknown paths raise :class:`ChangeError`."""
    parts = path.split(".")
    if parts[0] in ("walls", "light_cards") and len(parts) == 3:
        key, name = f"{parts[0]}.*.{parts[2]}", parts[1]
    elif parts[0] == "camera_delay_ms" and len(parts) == 2:
        key, name = "camera_delay_ms.*", parts[1]
    else:
        key, name = path, None
    if key not in RULES:
        raise ChangeError(f"{path}: not a live parameter", "unknown_address")
    return key, name


def _number(path: str, value: Any, rule: Rule) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ChangeError(f"{path}: expected a number, got {type(value).__name__}", "arg_type")
    out = float(value)
    if not math.isfinite(out):
        raise ChangeError(f"{path}: must be a finite number (got {out})", "not_finite")
    if rule.wrap:
        return wrap_deg(out)
    if out < rule.lo or out > rule.hi:
        if not rule.clamp:
            raise ChangeError(f"{path}: {out:g} outside {rule.lo:g}..{rule.hi:g}", "out_of_range")
        out = min(max(out, rule.lo), rule.hi)
    return out


def _bool(path: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, int | float):
        if value in (0, 1):
            return bool(value)
        raise ChangeError(f"{path}: expected 0 or 1, got {value!r}", "out_of_range")
    raise ChangeError(f"{path}: expected a boolean (0/1, true/false), got {type(value).__name__}", "arg_type")


def parameter_names(state: LiveState, cameras: list[str]) -> list[str]:
    """Every settable parameter path of ``state`` (``*`` filled with its walls, cards and ``cameras``), plus
    ``scene``."""
    names = ["scene"]
    for key in RULES:
        coll, _, leaf = key.partition(".*")
        if not leaf and coll == key:
            names.append(key)
            continue
        members = cameras if coll == "camera_delay_ms" else list(getattr(state, coll))
        names += [f"{coll}.{m}{leaf}" for m in members]
    return names


def did_you_mean(path: str, names: list[str]) -> str:
    """``"; did you mean exposure_ev?"`` for the name closest to ``path`` (difflib), or ``""``."""
    close = difflib.get_close_matches(path, names, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def coerce(path: str, value: Any, state: LiveState, cameras: list[str]) -> Any:
    """The checked (and clamped, where the rule says so) value for ``path``; raises :class:`ChangeError` (an
    unknown name suggests the nearest one)."""
    try:
        key, name = rule_key(path)
    except ChangeError as exc:
        raise ChangeError(f"{exc}{did_you_mean(path, parameter_names(state, cameras))}", exc.reason) from None
    if name is not None:
        coll = path.split(".")[0]
        known = cameras if coll == "camera_delay_ms" else list(getattr(state, coll))
        if name not in known:
            hint = did_you_mean(path, parameter_names(state, cameras))
            raise ChangeError(f"{path}: unknown {_COLLECTIONS[coll]} {name!r} (known: {', '.join(known) or 'none'})"
                              f"{hint}", "unknown_name")
    rule = RULES[key]
    if rule.kind == "bool":
        return _bool(path, value)
    if rule.kind == "name":
        if not isinstance(value, str):
            raise ChangeError(f"{path}: expected a name (a string), got {type(value).__name__}", "arg_type")
        return value or None  # "": back to the default (the config's default display or view, no look)
    if rule.kind == "number":
        return _number(path, value, rule)
    if not isinstance(value, list | tuple) or len(value) != rule.size:
        raise ChangeError(f"{path}: expected {rule.size} numbers", "arg_count")
    return [_number(path, v, rule) for v in value]


# ---- OSC address space --------------------------------------------------------------------------------------

PREFIX = "/stage/"
"""Every address starts here; a parameter's own address is ``PREFIX`` + its path with ``/`` for ``.``
(:func:`osc_address`): ``exposure_ev`` → ``/stage/exposure_ev``, ``walls.main.brightness`` →
``/stage/walls/main/brightness``."""

LEGACY_SIMPLE = {
    "/stage/exposure": "exposure_ev",
    "/stage/whitebalance": "white_balance_k",
    "/stage/tint": "tint",
    "/stage/frustum/overscan": "overscan_pct",
    "/stage/frustum/softedge": "soft_edge_pct",
    "/stage/frustum/chromakey": "chroma_key",
    "/stage/background/offset": "offset_m",
    "/stage/background/yaw": "yaw_deg",
    "/stage/background/scale": "scale",
    "/stage/timeofday": "time_of_day_h",
    "/stage/tracking/freeze": "tracking_freeze",
}
LEGACY_WALL = {"brightness": "brightness", "enable": "enabled", "display": "display", "view": "view", "look": "look"}
LEGACY_CARD = {"enable": "enabled", "intensity": "intensity", "color": "color", "softness": "softness",
               "size": "size_m"}
"""Aliases kept so that tablets built on the first address space keep working (docs/osc.md, "Legacy aliases"):
``/stage/exposure``, ``/stage/wall/<wall>/<leaf>``, ``/stage/lightcard/<card>/<leaf>`` and ``/position``,
``/stage/camera/<camera>/delay``. Accepted, and echoed beside the parameter's own address."""
TRIGGERS = {"/stage/scene/next": "scene_next", "/stage/undo": "undo", "/stage/state": "state", "/stage/hello": "hello"}
STRING_COMMANDS = {
    "/stage/scene": "scene",
    "/stage/preset/save": "preset_save",
    "/stage/preset/recall": "preset_recall",
}
_LEGACY_OF_PATH = {v: k for k, v in LEGACY_SIMPLE.items()}


@dataclass(frozen=True)
class Route:
    """What one OSC message asks for: ``action`` is ``set`` (with ``changes``), a trigger (``scene_next``,
    ``undo``, ``state``, ``hello``), a string command (``scene``, ``preset_save``, ``preset_recall`` with
    ``text``) or ``none`` (a trigger's release, argument 0)."""

    action: str
    changes: dict[str, Any] | None = None
    text: str = ""


def _unpack(address: str, path: str, args: list[Any], state: LiveState) -> dict[str, Any]:
    """Arguments → ``{path: value}`` by the rule's arity (type checks come later, in :func:`coerce`)."""
    key, _ = rule_key(path)
    size = RULES[key].size
    if len(args) != size:
        raise ChangeError(f"{address}: expected {size} argument{'s' * (size > 1)}, got {len(args)}", "arg_count")
    return {path: args[0] if size == 1 else list(args)}


def route(address: str, args: list[Any], state: LiveState) -> Route:
    """Map one OSC message to a :class:`Route`; raises :class:`ChangeError` for unknown addresses and wrong
    argument counts or types."""
    if address in LEGACY_SIMPLE:
        return Route("set", _unpack(address, LEGACY_SIMPLE[address], args, state))
    if address in TRIGGERS:
        if not args:
            return Route(TRIGGERS[address])
        if len(args) == 1 and isinstance(args[0], int | float) and not isinstance(args[0], bool):
            return Route(TRIGGERS[address] if args[0] != 0 else "none")
        raise ChangeError(f"{address}: takes no argument (or one number: non-zero triggers)", "arg_count")
    if address in STRING_COMMANDS:
        if len(args) != 1:
            raise ChangeError(f"{address}: expected 1 argument, got {len(args)}", "arg_count")
        if not isinstance(args[0], str):
            raise ChangeError(f"{address}: expected a string, got {type(args[0]).__name__}", "arg_type")
        return Route(STRING_COMMANDS[address], text=args[0])
    path = path_of(address)
    if path is not None:
        return Route("set", _unpack(address, path, args, state))
    parts = address.split("/")
    if len(parts) == 5 and parts[:2] == ["", "stage"] and parts[3]:
        kind, name, leaf = parts[2], parts[3], parts[4]
        if kind == "wall" and leaf in LEGACY_WALL:
            return Route("set", _unpack(address, f"walls.{name}.{LEGACY_WALL[leaf]}", args, state))
        if kind == "camera" and leaf == "delay":
            return Route("set", _unpack(address, f"camera_delay_ms.{name}", args, state))
        if kind == "lightcard" and leaf in LEGACY_CARD:
            return Route("set", _unpack(address, f"light_cards.{name}.{LEGACY_CARD[leaf]}", args, state))
        if kind == "lightcard" and leaf == "position":
            return Route("set", _position(address, name, args, state))
    hint = did_you_mean(address, [osc_address(p) for p in parameter_names(state, list(state.camera_delay_ms))])
    raise ChangeError(f"{address}: unknown address{hint}", "unknown_address")


def osc_address(path: str) -> str:
    """A parameter's own OSC address: ``walls.main.brightness`` → ``/stage/walls/main/brightness``."""
    return PREFIX + path.replace(".", "/")


def path_of(address: str) -> str | None:
    """The parameter whose own address is ``address`` (inverse of :func:`osc_address`), or None."""
    if not address.startswith(PREFIX):
        return None
    parts = address[len(PREFIX):].split("/")
    if len(parts) == 1 and parts[0] in RULES:
        return parts[0]
    if len(parts) == 3 and parts[0] in ("walls", "light_cards") and parts[1] and f"{parts[0]}.*.{parts[2]}" in RULES:
        return ".".join(parts)
    if len(parts) == 2 and parts[0] == "camera_delay_ms" and parts[1]:
        return ".".join(parts)
    return None


def _position(address: str, name: str, args: list[Any], state: LiveState) -> dict[str, Any]:
    """``position ff``: ``center_uv`` for a card on a wall, ``azimuth_deg, elevation_deg`` for one by direction."""
    if len(args) != 2:
        raise ChangeError(f"{address}: expected 2 arguments, got {len(args)}", "arg_count")
    card = state.light_cards.get(name)
    if card is None:
        known = ", ".join(state.light_cards) or "none"
        raise ChangeError(f"{address}: unknown light card {name!r} (known: {known})", "unknown_name")
    if card.center_uv is not None:
        return {f"light_cards.{name}.center_uv": list(args)}
    return {f"light_cards.{name}.azimuth_deg": args[0], f"light_cards.{name}.elevation_deg": args[1]}


def to_osc(path: str, state: LiveState, scene_name: str | None) -> tuple[str, list[Any]] | None:
    """The message a tablet would send for ``path`` at its current value in ``state``, at the parameter's own
    address (:func:`osc_address`; None: no such parameter, or a value left to a default)."""
    if path == "scene":
        return ("/stage/scene", [scene_name or ""])
    try:
        key, name = rule_key(path)
    except ChangeError:
        return None
    parts = path.split(".")
    if name is None:
        value = getattr(state, path, None)
    elif parts[0] == "camera_delay_ms":
        value = state.camera_delay_ms.get(name)
    else:
        member = getattr(state, parts[0]).get(name)
        value = getattr(member, parts[2], None) if member is not None else None
    if value is None:  # e.g. time of day left to the scene: nothing for a fader to show
        return None
    if isinstance(value, bool):
        return (osc_address(path), [int(value)])
    return (osc_address(path), list(value) if isinstance(value, tuple | list) else [value])


def legacy_osc(path: str, state: LiveState, scene_name: str | None) -> tuple[str, list[Any]] | None:
    """The message of ``path`` at its legacy alias address (None: it has none)."""
    if path == "scene":
        return None
    parts = path.split(".")
    if path in _LEGACY_OF_PATH:
        value = getattr(state, path)
        if value is None:  # e.g. time of day left to the scene: nothing for a fader to show
            return None
        if isinstance(value, bool):
            return (_LEGACY_OF_PATH[path], [int(value)])
        return (_LEGACY_OF_PATH[path], list(value) if isinstance(value, tuple) else [value])
    if parts[0] == "walls" and len(parts) == 3 and parts[1] in state.walls:
        wall = state.walls[parts[1]]
        if parts[2] == "brightness":
            return (f"/stage/wall/{parts[1]}/brightness", [wall.brightness])
        if parts[2] == "enabled":
            return (f"/stage/wall/{parts[1]}/enable", [int(wall.enabled)])
        if parts[2] in ("display", "view", "look"):
            value = getattr(wall, parts[2])
            return None if value is None else (f"/stage/wall/{parts[1]}/{parts[2]}", [value])  # None: a default
    if parts[0] == "camera_delay_ms" and len(parts) == 2 and parts[1] in state.camera_delay_ms:
        return (f"/stage/camera/{parts[1]}/delay", [state.camera_delay_ms[parts[1]]])
    if parts[0] == "light_cards" and len(parts) == 3 and parts[1] in state.light_cards:
        card, leaf, base = state.light_cards[parts[1]], parts[2], f"/stage/lightcard/{parts[1]}"
        if leaf in ("center_uv", "azimuth_deg", "elevation_deg"):
            pos = card.center_uv if card.center_uv is not None else (card.azimuth_deg, card.elevation_deg)
            return (f"{base}/position", list(pos))
        osc_leaf = {v: k for k, v in LEGACY_CARD.items()}.get(leaf)
        if osc_leaf is not None:
            value = getattr(card, leaf)
            if isinstance(value, bool):
                return (f"{base}/{osc_leaf}", [int(value)])
            return (f"{base}/{osc_leaf}", list(value) if isinstance(value, tuple) else [value])
    return None


def messages_for(paths: list[str], state: LiveState, scene_name: str | None) -> list[tuple[str, list[Any]]]:
    """Echo messages for changed ``paths``, one per address: each parameter at its own address and at its legacy
    alias (a card's legacy ``/position`` is one message)."""
    out: dict[str, list[Any]] = {}
    for path in paths:
        for msg in (to_osc(path, state, scene_name), legacy_osc(path, state, scene_name)):
            if msg is not None:
                out[msg[0]] = msg[1]
    return list(out.items())
