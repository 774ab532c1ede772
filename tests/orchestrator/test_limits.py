"""Value limits live once, on the LiveState fields: OSC rules, `stage set`, presets, configs and the render node's
delay history all take theirs from there (issue 10, "rules stated twice")."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from stage.app.orchestrator.osc_map import RULES, coerce
from stage.app.orchestrator.presets import PresetError, read_preset, write_preset
from stage.core.config.lightcards import LightCard
from stage.core.live import LiveState, WallLive, field_limits
from stage.core.wire.state import apply_changes


def _state() -> LiveState:
    card = LightCard(name="key", wall="main", center_uv=(0.5, 0.5))
    sky = LightCard(name="sky", azimuth_deg=90.0, elevation_deg=30.0)
    return LiveState(walls={"main": WallLive()}, light_cards={"key": card, "sky": sky}, camera_delay_ms={"A": 0.0})


def _path(key: str) -> str:
    card = "sky" if key.endswith(("azimuth_deg", "elevation_deg")) else "key"
    return key.replace("walls.*", "walls.main").replace("light_cards.*", f"light_cards.{card}").replace(
        "camera_delay_ms.*", "camera_delay_ms.A")


@pytest.mark.parametrize("key", [k for k, r in RULES.items() if r.kind != "bool"])
def test_osc_range_is_exactly_what_the_live_state_accepts(key: str) -> None:
    rule, state = RULES[key], _state()
    assert (rule.lo, rule.hi) == field_limits(key)
    for end, beyond in ((rule.lo, rule.lo - 1.0), (rule.hi, rule.hi + 1.0)):
        if not math.isfinite(end):
            continue
        value = [end] * rule.size if rule.kind == "vector" else end
        apply_changes(state, {_path(key): value})  # the rule's own limit is a valid state
        clamped = coerce(_path(key), [beyond] * rule.size if rule.kind == "vector" else beyond, state, ["A"])
        assert clamped == value  # OSC and `stage set` clamp to it
        with pytest.raises(ValueError):  # and the state (presets, deltas) refuses beyond it
            apply_changes(state, {_path(key): [beyond] * rule.size if rule.kind == "vector" else beyond})


def test_wall_brightness_card_intensity_and_size_agree_everywhere(tmp_path) -> None:
    assert coerce("walls.main.brightness", 9.0, _state(), []) == 4.0
    with pytest.raises(ValidationError):
        LightCard(name="k", wall="main", center_uv=(0.5, 0.5), intensity=150.0)
    with pytest.raises(ValidationError):
        LightCard(name="k", wall="main", center_uv=(0.5, 0.5), size_m=(0.005, 1.0))
    state = _state()
    write_preset(tmp_path, "p", state)
    text = (tmp_path / "p.yaml").read_text()
    (tmp_path / "p.yaml").write_text(text.replace("brightness: 1.0", "brightness: 9.0"))
    with pytest.raises(PresetError):
        read_preset(tmp_path, "p")


def test_config_wall_brightness_has_the_live_limit() -> None:
    from stage.core.config.walls import FlatWall

    corners = {"lower_left": [-2, 4, 0], "lower_right": [2, 4, 0], "upper_left": [-2, 4, 2]}
    base = {"name": "w", "kind": "flat", "resolution_px": [64, 32], "output": {"node": "n"}, "corners": corners}
    FlatWall.model_validate({**base, "brightness": 4.0})
    with pytest.raises(ValidationError):
        FlatWall.model_validate({**base, "brightness": 4.5})


def test_render_node_keeps_history_for_the_longest_live_delay() -> None:
    from stage.core.pose_latch import MAX_DELAY_S

    assert MAX_DELAY_S == field_limits("camera_delay_ms.*")[1] / 1000.0 == 1.0


def test_osc_doc_ranges_match_the_rules() -> None:
    """docs/osc.md's Range column for the clamped number parameters says what the LiveState fields say."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "osc.md").read_text()
    for key in ("walls.*.brightness", "light_cards.*.intensity", "light_cards.*.size_m", "camera_delay_ms.*"):
        lo, hi = field_limits(key)
        leaf = key.split(".")[-1] if not key.endswith("*") else key.split(".")[0]
        row = next(line for line in text.splitlines() if line.startswith("| `/stage/") and f"{leaf}" in line)
        numbers = [float(n) for n in re.findall(r"(\d+(?:\.\d+)?)\.\.(\d+(?:\.\d+)?)", row)[0]]
        assert numbers == [lo, hi], row
