"""The director's tablet: an Open Stage Control session generated from a :class:`LiveState` (docs/osc.md).

``build_session(state, ...)`` lays out one widget per live parameter of the stage: fader ranges come from the value
rules (:data:`stage.app.orchestrator.osc_map.RULES`, narrowed where a full range is unusable on a fader) and every
double-tap resets to the parameter's value in ``state`` (the stage's configured start), so the layout, the server and
the defaults have one source. ``python -m stage.app.orchestrator.osc_tablet`` writes ``docs/tablet/vpstage.json``
for the
demo stage; ``--check`` exits 1 when that file is stale, ``--config`` builds one for another stage.

Written for Open Stage Control 1.29.8 (:data:`APP_VERSION`); tests/orchestrator/test_osc_tablet.py checks the
result against that version's widget property lists and ``typeTags`` rules, read from the app's sources. What the
app does, and how the layout answers it:

* Properties a widget type does not define are deleted when the session loads, so captions use ``label`` only on
  buttons and tabs and ``html`` elsewhere; a dropdown keeps ``label`` at ``auto`` so it shows its value.
* ``send()`` in a script reuses the widget's ``typeTags``: script widgets carry the tags of what they send (``s``
  for preset names, ``f`` for numbers).
* Containers send their tab index or scroll position to ``/<id>``: they are ``bypass``-ed (a script's ``send()``
  still works from them).
* A fader's double tap resets it to ``default``, or to the bottom of its range without one: a fader gets
  ``doubleTap`` only with the real default.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import sys
from pathlib import Path
from typing import Any

from stage.app.orchestrator.osc_map import RULES, osc_address, rule_key
from stage.core.config import load_stage_config
from stage.core.config.errors import ConfigError
from stage.core.config.lightcards import LightCard
from stage.core.live import LiveState

APP_VERSION = "1.29.8"
"""The Open Stage Control release the session is written for (session files carry it as ``version``)."""
REPO = Path(__file__).resolve().parents[3]
SESSION_PATH = REPO / "docs" / "tablet" / "vpstage.json"
DEMO_CONFIG = REPO / "configs" / "demo.yaml"
DEMO_CARDS = (LightCard(name="key", wall="main", center_uv=(0.5, 0.4), intensity=2.0),)
"""The demo config has no light cards; the shipped layout shows one placed on the main wall."""

FADER_W, FADER_H, BUTTON_W, ROW_H, PAD = 420, 70, 150, 70, 360
SYNC = "send('/stage/hello')\nsend('/stage/state')"
QUIET = "{send: false, script: false}"
"""``set()`` options for echoes: move the widget without sending or running its script."""


def span(path: str, ui: tuple[float, float] | None = None) -> tuple[float, float]:
    """A fader's range for ``path``: the rule's limits, narrowed to ``ui`` where given (a wrapped angle spans
    −180..180)."""
    rule = RULES[rule_key(path)[0]]
    lo, hi = (-180.0, 180.0) if rule.wrap else (rule.lo, rule.hi)
    if ui is not None:
        lo, hi = max(lo, ui[0]), min(hi, ui[1])
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{path}: an unbounded rule needs a fader range")
    return lo, hi


def caption(text: str) -> str:
    """Caption through the ``html`` property (faders, pads, inputs, texts, dropdowns have no caption ``label``)."""
    return html.escape(text)


def fader(wid: str, text: str, address: str, rng: tuple[float, float], default: float | None, *,
          decimals: int = 2, bypass: bool = False, on_value: str = "", **extra: Any) -> dict[str, Any]:
    """A horizontal fader; with a ``default``, double tap resets to it (without one it has no double tap)."""
    w: dict[str, Any] = {
        "type": "fader", "id": wid, "html": caption(text), "address": address,
        "range": {"min": rng[0], "max": rng[1]}, "typeTags": "f", "decimals": decimals,
        "horizontal": True, "design": "default", "width": FADER_W, "height": FADER_H,
    }
    if default is not None:
        w.update(default=default, doubleTap=True)
    if bypass:
        w["bypass"] = True
    if on_value:
        w["onValue"] = on_value
    w.update(extra)
    return w


def pad(wid: str, text: str, address: str, rx: tuple[float, float], ry: tuple[float, float],
        default: list[float], *, bypass: bool = False, on_value: str = "") -> dict[str, Any]:
    """An xy pad sending ``ff`` (one ``f`` covers both: the last type tag repeats); double tap → ``default``."""
    w: dict[str, Any] = {
        "type": "xy", "id": wid, "html": caption(text), "address": address,
        "rangeX": {"min": rx[0], "max": rx[1]}, "rangeY": {"min": ry[0], "max": ry[1]},
        "typeTags": "f", "default": default, "doubleTap": True, "width": PAD, "height": PAD,
    }
    if bypass:
        w["bypass"] = True
    if on_value:
        w["onValue"] = on_value
    return w


def button(wid: str, label: str, address: str, *, mode: str = "tap", type_tags: str = "i",
           bypass: bool = False, on_value: str = "") -> dict[str, Any]:
    """A button sending ``on`` 1 / ``off`` 0 as ``i`` (or, with ``bypass``, only what its script sends)."""
    w: dict[str, Any] = {
        "type": "button", "id": wid, "label": label, "address": address, "mode": mode, "on": 1, "off": 0,
        "typeTags": type_tags, "width": BUTTON_W, "height": ROW_H,
    }
    if bypass:
        w["bypass"] = True
    if on_value:
        w["onValue"] = on_value
    return w


def variable(wid: str, address: str, on_value: str = "", comments: str = "") -> dict[str, Any]:
    """A listening variable (never sends)."""
    w: dict[str, Any] = {"type": "variable", "id": wid, "address": address, "bypass": True}
    if on_value:
        w["onValue"] = on_value
    if comments:
        w["comments"] = comments
    return w


def row(wid: str, widgets: list[dict[str, Any]]) -> dict[str, Any]:
    """A horizontal panel; bypassed, so its scroll position goes nowhere."""
    return {"type": "panel", "id": wid, "layout": "horizontal", "bypass": True, "expand": True, "scroll": True,
            "widgets": widgets}


def tab(wid: str, label: str, widgets: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "tab", "id": wid, "label": label, "layout": "vertical", "bypass": True, "widgets": widgets}


def scene_tab(state: LiveState) -> dict[str, Any]:
    ox, oy, oz = state.offset_m
    tod = state.time_of_day_h  # None: the scene's own, nothing to reset to
    return tab("tab_scene", "Scene", [
        variable("scene_list", "/stage/scenes", comments="the server's /stage/scenes list, sent before /stage/scene"),
        row("scene_row", [
            {"type": "dropdown", "id": "scene", "html": caption("Scene"), "address": "/stage/scene",
             "typeTags": "s", "values": "@{scene_list}", "width": 300, "height": ROW_H},
            button("scene_next", "Next scene", "/stage/scene/next"),
            button("sync_scene", "Sync", "/tablet/sync_scene", bypass=True, on_value=SYNC),
        ]),
        fader("timeofday", "Time of day (h)", osc_address("time_of_day_h"), span("time_of_day_h"), tod),
        variable("offset_in", osc_address("offset_m"),
                 f"set('offset_xy', [value[0], value[1]], {QUIET})\nset('offset_z', value[2], {QUIET})",
                 f"echo of {osc_address('offset_m')} fff: moves the pad and the height fader without sending"),
        row("offset_row", [
            pad("offset_xy", "Offset X / Y (m)", "/tablet/offset_xy", span("offset_m", (-10, 10)),
                span("offset_m", (-10, 10)), [ox, oy], bypass=True,
                on_value=f"send('{osc_address('offset_m')}', value[0], value[1], get('offset_z'))"),
            fader("offset_z", "Offset Z (m)", "/tablet/offset_z", span("offset_m", (-5, 5)), oz, bypass=True,
                  on_value=f"send('{osc_address('offset_m')}', get('offset_xy')[0], get('offset_xy')[1], value)",
                  horizontal=False, width=90, height=PAD),
        ]),
        fader("yaw", "Scene yaw (°)", osc_address("yaw_deg"), span("yaw_deg"), state.yaw_deg),
        fader("scale", "Scene scale", osc_address("scale"), span("scale", (0.1, 10)), state.scale,
              logScale=True),
    ])


def camera_tab(state: LiveState) -> dict[str, Any]:
    return tab("tab_camera", "Camera", [
        fader("exposure", "Exposure (EV)", osc_address("exposure_ev"), span("exposure_ev"), state.exposure_ev),
        fader("whitebalance", "White balance (K)", osc_address("white_balance_k"), span("white_balance_k"),
              state.white_balance_k, decimals=0),
        fader("tint", "Tint (green − magenta)", osc_address("tint"), span("tint"), state.tint),
        fader("overscan", "Overscan (%)", osc_address("overscan_pct"), span("overscan_pct"), state.overscan_pct),
        fader("softedge", "Soft edge (%)", osc_address("soft_edge_pct"), span("soft_edge_pct"), state.soft_edge_pct),
        row("camera_toggles", [
            button("chromakey", "Chroma key", osc_address("chroma_key"), mode="toggle"),
            button("freeze", "Freeze tracking", osc_address("tracking_freeze"), mode="toggle"),
        ]),
    ])


def walls_tab(state: LiveState, ocio: bool = False) -> dict[str, Any]:
    """Per wall: on/off and brightness; on a stage with an OCIO config also text inputs for its display, view and
    look (an ``input`` sends its text on Enter; the server refuses a name the config lacks, listing the valid
    ones on ``/stage/error``) and a "Last warning" text (``/stage/warning``: an HDR display on an 8-bit output)."""
    def ocio_inputs(name: str) -> list[dict[str, Any]]:
        return [{"type": "input", "id": f"{name}_{leaf}", "html": caption(f"{name} {leaf}"),
                 "address": osc_address(f"walls.{name}.{leaf}"), "typeTags": "s", "width": width, "height": ROW_H}
                for leaf, width in (("display", 260), ("view", 300), ("look", 200))] if ocio else []

    warning = [{"type": "text", "id": "last_warning", "html": caption("Last warning"), "address": "/stage/warning",
                "bypass": True, "width": 760, "height": ROW_H}] if ocio else []
    return tab("tab_walls", "Walls", [
        *(row(f"wall_{name}", [
            button(f"{name}_enable", f"{name} on", osc_address(f"walls.{name}.enabled"), mode="toggle"),
            fader(f"{name}_brightness", f"{name} brightness", osc_address(f"walls.{name}.brightness"),
                  span("walls.*.brightness"), wall.brightness),
            *ocio_inputs(name),
        ]) for name, wall in state.walls.items()),
        *warning,
    ])


def card_widgets(name: str, card: LightCard) -> list[dict[str, Any]]:
    base = osc_address(f"light_cards.{name}")
    send_color = f"send('{base}/color', get('{name}_r'), get('{name}_g'), get('{name}_b'))"
    sets = "\n".join(f"set('{name}_{c}', value[{i}], {QUIET})" for i, c in enumerate("rgb"))
    if card.center_uv is not None:
        where, rx, ry = "u, v on its wall", span("light_cards.*.center_uv"), span("light_cards.*.center_uv")
        position = [pad(f"{name}_position", f"{name} position ({where})", f"{base}/center_uv", rx, ry,
                        list(card.center_uv))]
    else:  # two parameters on one pad: it sends both, and each echo moves its axis
        where, rx, ry = "azimuth, elevation °", span("light_cards.*.azimuth_deg"), span("light_cards.*.elevation_deg")
        move = "set('{0}_position', [{1}], {2})"
        position = [
            pad(f"{name}_position", f"{name} position ({where})", f"/tablet/{name}_position", rx, ry,
                [card.azimuth_deg, card.elevation_deg], bypass=True,
                on_value=f"send('{base}/azimuth_deg', value[0])\nsend('{base}/elevation_deg', value[1])"),
            variable(f"{name}_azimuth_in", f"{base}/azimuth_deg",
                     move.format(name, f"value, get('{name}_position')[1]", QUIET)),
            variable(f"{name}_elevation_in", f"{base}/elevation_deg",
                     move.format(name, f"get('{name}_position')[0], value", QUIET)),
        ]
    return [
        row(f"{name}_row", [
            button(f"{name}_enable", f"{name} on", f"{base}/enabled", mode="toggle"),
            fader(f"{name}_intensity", f"{name} intensity", f"{base}/intensity",
                  span("light_cards.*.intensity", (0, 10)), card.intensity),
        ]),
        fader(f"{name}_softness", f"{name} softness", f"{base}/softness", span("light_cards.*.softness"),
              card.softness),
        variable(f"{name}_color_in", f"{base}/color", sets,
                 "echo of the card colour (fff) moves the three faders without sending"),
        *[fader(f"{name}_{c}", f"{name} colour {c.upper()}", f"/tablet/{name}_{c}", span("light_cards.*.color"),
                card.color[i], decimals=3, bypass=True, on_value=send_color, colorWidget=colour)
          for i, (c, colour) in enumerate(zip("rgb", ("#e55", "#5c5", "#58f"), strict=True))],
        *position,
    ]


def presets_tab() -> dict[str, Any]:
    return tab("tab_presets", "Presets", [
        {"type": "input", "id": "preset_name", "html": caption("Preset name"), "address": "/tablet/preset_name",
         "bypass": True, "width": FADER_W, "height": ROW_H},
        row("preset_buttons", [
            button("preset_save", "Save", "/tablet/preset_save", type_tags="s", bypass=True,
                   on_value="send('/stage/preset/save', String(get('preset_name')))"),
            button("preset_recall", "Recall", "/tablet/preset_recall", type_tags="s", bypass=True,
                   on_value="send('/stage/preset/recall', String(get('preset_name')))"),
            button("undo", "Undo", "/stage/undo"),
            button("sync", "Sync", "/tablet/sync", bypass=True, on_value=SYNC),
        ]),
        {"type": "text", "id": "last_error", "html": caption("Last error"), "address": "/stage/error",
         "bypass": True, "width": 600, "height": ROW_H},
    ])


def build_session(state: LiveState, ocio: bool = False) -> dict[str, Any]:
    """The Open Stage Control session for the walls and light cards of ``state``; double taps reset to its
    values. ``ocio``: the stage has an OCIO config (walls get display/view/look inputs)."""
    cards = [w for name, card in state.light_cards.items() for w in card_widgets(name, card)]
    return {
        "createdWith": "Open Stage Control",
        "version": APP_VERSION,
        "type": "session",
        "content": {
            "type": "root", "id": "root", "bypass": True,
            "comments": "Director tablet for vpstage, generated by `python -m stage.app.orchestrator.osc_tablet` "
                        "(docs/osc.md). Start Open Stage Control with --send <orchestrator-host>:9000 and an "
                        "--osc-port; the server echoes to the sending port.",
            "onCreate": SYNC,
            "tabs": [scene_tab(state), camera_tab(state), walls_tab(state, ocio),
                     tab("tab_cards", "Light cards", cards), presets_tab()],
        },
    }


def session_text(state: LiveState, ocio: bool = False) -> str:
    return json.dumps(build_session(state, ocio), indent=2, ensure_ascii=False) + "\n"


def demo_state() -> LiveState:
    """The demo stage as it starts, with the example light card of the shipped layout."""
    state = LiveState.from_config(load_stage_config(DEMO_CONFIG))
    return state.model_copy(update={"light_cards": {c.name: c for c in DEMO_CARDS}})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stage.app.orchestrator.osc_tablet",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, help="stage config (default: the demo stage with a light card 'key')")
    parser.add_argument("--out", type=Path, default=None, help=f"output file (default: {SESSION_PATH.relative_to(REPO)}"
                        " for the demo stage, stdout for --config)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the output file is not up to date")
    args = parser.parse_args(argv)
    try:
        config = None if args.config is None else load_stage_config(args.config)
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    state = demo_state() if config is None else LiveState.from_config(config)
    ocio = config is not None and config.color.ocio_config is not None
    text, out = session_text(state, ocio), args.out or (SESSION_PATH if args.config is None else None)
    if out is None:
        sys.stdout.write(text)
        return 0
    if args.check:
        if not out.is_file() or out.read_text(encoding="utf-8") != text:
            sys.stderr.write(f"{out}: stale; run python -m stage.app.orchestrator.osc_tablet\n")
            return 1
        return 0
    out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
