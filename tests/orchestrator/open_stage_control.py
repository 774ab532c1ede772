"""What Open Stage Control 1.29.8 does with a session file, written down as data from the app's own sources.

Read in jean-emmanuel/open-stage-control (GPL-3.0; nothing copied, only the facts below). The search index holds
these files at the commits named; all are from the 1.29 line, before 1.30 moved the client to ``.mjs``: they have the
1.28/1.29 features (fader ``touchZone``, ``doubleTap: "script"``, ``onTouch`` on containers, xy ``label``) and not the
1.30 ones (input ``noCanvas``, panels no longer sending their scroll position). CHANGELOG.md @ b023a21 tops at 1.29.8.
Commits: 034542f5e2db6b9bfc52aac16935874b541d9aec, be98e8329d55c8bcabdb06473fc7f0a059e4216e,
a638f96455f49866d07f3e914221c9adba1f7e68, 1317be717352dd9a963160e7895d8e3488917f05,
8a632e75194bc31f94a932887ab42de352c74d1e, b023a2133fd3aeefec0380e8d60a27995177f75b.

* src/client/parser.js @ 034542f5: a widget's missing properties get the type's defaults (``address: "auto"``,
  ``typeTags: ""``, …); properties the type does not define are deleted (:data:`PROPS`); a ``default`` initialises
  the value without sending.
* src/client/widgets/common/widget.js @ 034542f5: the generic property list (:data:`GENERIC`); ``address: "auto"``
  is ``/<id>`` (:func:`address`); ``sendValue`` does nothing when ``bypass`` is set unless forced.
* src/client/widgets/scripts/script-vm.js @ 034542f5: a script's ``send(address, ...args)`` is
  ``widget.sendValue({address, v: args, preArgs: []}, {force: true})``: it sends even from a bypassed widget and
  keeps that widget's ``typeTags``.
* src/server/callbacks.js @ be98e832 (``sendOsc``: the widget's cached osc data, ``typeTags`` included, overridden
  only by what the client passes) and src/server/osc/index.js @ be98e832 (``send``: argument *i* takes
  ``typeTags[i]``, else the last letter seen; ``parseArg``: ``i`` → ``parseInt``, ``f``/``d`` → ``parseFloat``,
  untyped numbers ``f``, strings ``s``, booleans ``T``/``F``, ``null`` dropped; ``receiveOsc``: a single argument
  arrives as a scalar) → :func:`osc_args`.
* Widgets: basics/button.js @ a638f96 (``tap`` sends ``on``), basics/dropdown.js @ 1317be7 with
  basics/menu-base.js @ be98e832 (``label`` is the displayed text, ``auto`` = ``%value``; a value not in ``values``
  selects nothing, and a later ``values`` change keeps that), basics/input.js @ 8a632e7, indicators/text.js
  @ 8a632e7 (no ``typeTags``; sends sync only), sliders/fader.js @ be98e832 with sliders/slider.js @ 8a632e7
  (double tap → ``default``, else ``origin`` ``auto`` = bottom of the range), pads/xy.js @ be98e832,
  scripts/variable.js @ a638f96, containers/panel.js, tab.js, root.js @ a638f96 with mixins/static_properties.js
  @ be98e832 (a panel's value is its tab index or its ``[x, y]`` scroll position, sent on tab click / scroll; the
  root's id is forced to ``root``).
* src/client/managers/session/session.js @ a638f96: converters rewrite sessions whose ``version`` is ≤ theirs
  (:data:`CONVERTER_VERSIONS`); the one for 0.x sessions moves ``label`` to ``html`` on every type but
  button/menu/modal/clone/html/tab — ``html`` is the caption property of the others (:data:`CAPTION`).
"""

from __future__ import annotations

import math
import re
from typing import Any

APP_VERSION = "1.29.8"
CONVERTER_VERSIONS = ("0.49.12", "1.3.0", "1.6.2", "1.8.15", "1.13.2", "1.23.0", "1.24.2")

GENERIC = frozenset({
    "lock", "type", "id", "visible", "interaction", "comments",                       # widget
    "left", "top", "width", "height", "expand",                                        # geometry
    "colorText", "colorWidget", "colorStroke", "colorFill", "alphaStroke", "alphaFillOff", "alphaFillOn",
    "lineWidth", "borderRadius", "padding", "html", "css",                             # style
    "value", "default", "linkId",                                                      # value
    "address", "preArgs", "typeTags", "decimals", "target", "ignoreDefaults", "bypass",  # osc
    "onCreate", "onValue",                                                             # scripting
})
_PANEL = GENERIC | {"variables", "traversing", "colorBg", "layout", "justify", "gridTemplate", "contain", "scroll",
                    "innerPadding", "tabsPosition", "widgets", "tabs", "onTouch"}
PROPS: dict[str, frozenset[str]] = {
    "button": GENERIC | {"colorTextOn", "label", "vertical", "wrap", "on", "off", "mode", "doubleTap", "decoupled"},
    "dropdown": GENERIC | {"label", "icon", "align", "values"},
    "fader": GENERIC | {"design", "knobSize", "colorKnob", "horizontal", "pips", "dashed", "gradient", "snap",
                        "touchZone", "spring", "doubleTap", "range", "logScale", "sensitivity", "steps", "origin",
                        "onTouch"},
    "xy": GENERIC | {"pointSize", "ephemeral", "pips", "label", "snap", "spring", "rangeX", "rangeY", "logScaleX",
                     "logScaleY", "stepsX", "stepsY", "axisLock", "doubleTap", "sensitivity", "onTouch"},
    "input": GENERIC | {"align", "unit", "asYouType", "numeric", "validation", "maxLength"},
    "text": (GENERIC | {"vertical", "wrap", "align"}) - {"typeTags", "ignoreDefaults"},
    "variable": GENERIC - {"visible", "interaction", "left", "top", "width", "height", "expand", "colorText",
                           "colorWidget", "colorStroke", "colorFill", "alphaStroke", "alphaFillOff", "alphaFillOn",
                           "lineWidth", "borderRadius", "padding", "html", "css"},
    "panel": _PANEL,
    "tab": (_PANEL | {"label"}) - {"left", "top", "width", "height", "expand", "colorStroke", "alphaStroke",
                                   "alphaFillOff", "alphaFillOn", "lineWidth"},
    # root.js nulls ``widgets.visible``: a category that does not exist, so ``visible`` stays.
    "root": (_PANEL | {"hideMenu", "onPreload"}) - {"left", "top", "expand", "colorFill", "colorStroke",
                                                    "alphaStroke", "alphaFillOff", "lineWidth"},
}
"""Every property each widget type defines; any other is deleted when the session loads."""
CAPTION = {"button": "label", "tab": "label", "dropdown": "html", "fader": "html", "xy": "html", "input": "html",
           "text": "html"}
"""Where a caption shows: a dropdown's ``label`` replaces its value, so it is captioned like the others."""
CONTAINERS = frozenset({"root", "panel", "tab"})
"""Types whose value (tab index or scroll position) is sent to their address when the user switches or scrolls."""
SENDS_OSC = frozenset({"button", "dropdown", "fader", "xy", "input"}) | CONTAINERS
"""Types that send their own value over OSC (text and variable only sync between clients)."""


def address(widget: dict[str, Any]) -> str:
    """The address a widget sends to and listens on: ``auto`` (or missing) is ``/<id>``; the root is ``/root``."""
    value = widget.get("address", "auto")
    if value != "auto":
        return value
    return "/root" if widget["type"] == "root" else f"/{widget['id']}"


def _parse_int(value: Any) -> float:
    """JavaScript ``parseInt``: leading integer of the text, NaN when there is none."""
    m = re.match(r"\s*([+-]?\d+)", str(value))
    return int(m.group(1)) if m else math.nan


def osc_args(type_tags: str, args: list[Any]) -> list[tuple[str, Any]]:
    """``(tag, value)`` of each argument as the app's server writes it (``null`` arguments are dropped)."""
    out, tag = [], None
    for i, arg in enumerate(args):
        if type_tags and i < len(type_tags):
            tag = type_tags[i]
        if arg is None:
            continue
        if tag is not None and tag in "bhtdscrmifTFNI":
            if tag == "i":
                out.append(("i", _parse_int(arg)))
            elif tag in "fd":
                out.append((tag, float(arg) if isinstance(arg, int | float) else _parse_float(arg)))
            elif tag in "TFN":
                out.append((tag, None))
            else:
                out.append((tag, arg))
        elif isinstance(arg, bool):
            out.append(("T" if arg else "F", arg))
        elif isinstance(arg, int | float):
            out.append(("f", float(arg)))
        else:
            out.append(("s", arg if isinstance(arg, str) else repr(arg)))
    return out


def _parse_float(value: Any) -> float:
    m = re.match(r"\s*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)", str(value))
    return float(m.group(1)) if m else math.nan


def received(args: list[Any]) -> Any:
    """What a widget's ``setValue`` gets from an incoming message: one argument as a scalar, else the list."""
    return args[0] if len(args) == 1 else list(args)


def dropdown_text(label: Any, selected: Any) -> str:
    """The text a dropdown shows (menu-base.js ``setLabel``): ``auto`` is ``%value``, empty when nothing is selected
    (``selected`` None: the value was not in ``values`` when it arrived)."""
    text = "%value" if label in (None, "auto") else str(label)
    return text.replace("%value", "" if selected is None else str(selected))


def menu_values(values: Any) -> list[Any]:
    """A dropdown's options (menu-base.js ``parseValues``): a scalar is one option, an object its values."""
    if isinstance(values, dict):
        return list(values.values())
    if isinstance(values, list):
        return values
    return [] if values in ("", None) else [values]
