"""The live parameters of a running stage: what directors and operators change during a shoot.

The orchestrator owns one :class:`LiveState`; render nodes receive a snapshot when they connect and changes after
(docs/osc.md lists the OSC addresses). ``LiveState.from_config`` gives the initial state of a stage config.
"""

from __future__ import annotations

import math
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

from stage.core.color.ocio import DisplayView, OcioError, check_names, load_config
from stage.core.config.color import OcioName
from stage.core.config.lightcards import LightCard
from stage.core.config.stage import StageConfig
from stage.core.config.types import Finite, Percent, StrictModel
from stage.core.config.walls import WallBrightness

OFFSET_LIMIT_M = 100.0
"""How far the live scene offset may move the scene, metres (each axis)."""


_Offset = Annotated[Finite, Field(ge=-OFFSET_LIMIT_M, le=OFFSET_LIMIT_M)]


class WallLive(StrictModel):
    """Live settings of one wall."""

    brightness: WallBrightness = 1.0
    """Output multiplier (linear light)."""
    enabled: bool = True
    """A disabled wall shows black."""
    display: OcioName | None = None
    """OCIO display (stages with ``color.ocio_config``); ``null``: the config's default display."""
    view: OcioName | None = None
    """OCIO view of the display; ``null``: the display's default view. Follows a display change: a view the new
    display does not have becomes ``null``."""
    look: OcioName | None = None
    """OCIO look(s) before the view; ``null``: none."""


class LiveState(StrictModel):
    """Every live parameter of the stage."""

    scene: str | None = None
    """Scene file of the running show."""
    exposure_ev: Annotated[Finite, Field(ge=-10.0, le=10.0)] = 0.0
    """Exposure in stops: content is multiplied by 2^EV."""
    white_balance_k: Annotated[Finite, Field(ge=2000.0, le=15000.0)] = 6500.0
    """Camera-style white balance, kelvin: light of this temperature comes out white (as Unreal's WhiteTemp), so
    3200 K cools the content and 9000 K warms it; 6500 K is neutral."""
    tint: Annotated[Finite, Field(ge=-1.0, le=1.0)] = 0.0
    """Green–magenta tint of the white balance, −1..1: positive makes the picture more magenta."""
    overscan_pct: Percent = 10.0
    """Inner frustum overscan."""
    soft_edge_pct: Percent = 5.0
    """Inner/outer blend width."""
    chroma_key: bool = False
    """Inner frustum filled with the key colour."""
    walls: dict[str, WallLive] = {}
    """Per-wall brightness and enable, by wall name."""
    offset_m: tuple[_Offset, _Offset, _Offset] = (0.0, 0.0, 0.0)
    """Scene offset in the stage (added to the scene's own placement), metres."""
    yaw_deg: Finite = 0.0
    """Scene turn about stage Z (added to the scene's own), degrees."""
    scale: Annotated[Finite, Field(ge=0.01, le=100.0)] = 1.0
    """Scene scale (multiplies the scene's own)."""
    time_of_day_h: Annotated[Finite, Field(ge=0.0, le=24.0)] | None = None
    """Time of day in hours (moves the sun and tints the sky of scenes with a ``time_of_day`` block); ``null`` keeps
    the scene's own."""
    light_cards: dict[str, LightCard] = {}
    """Light cards by name."""
    tracking_freeze: bool = False
    """Hold the current camera poses."""
    camera_delay_ms: dict[str, Annotated[Finite, Field(ge=0.0, le=1000.0)]] = {}
    """Extra per-camera delay of the pose, milliseconds."""

    @classmethod
    def from_config(cls, config: StageConfig, scene: str | None = None) -> LiveState:
        return cls(
            scene=scene or config.scene,
            overscan_pct=config.render.inner.overscan_pct,
            soft_edge_pct=config.render.soft_edge_pct,
            chroma_key=config.render.chroma_key.enabled,
            walls={w.name: WallLive(brightness=w.brightness, enabled=w.enabled, display=w.color.display,
                                    view=w.color.view, look=w.color.look) for w in config.walls},
            light_cards={c.name: c for c in config.render.light_cards},
        )


def reconcile(state: LiveState, config: StageConfig) -> LiveState:
    """``state`` brought in line with an edited ``config`` (``stage reload``): walls and light cards the config added
    join with the config's values, ones it removed are dropped, and every one it kept keeps its live values; so do
    the scene and every stage-wide parameter. Camera delays of removed cameras are dropped."""
    fresh = LiveState.from_config(config)
    walls = {name: state.walls.get(name, wall) for name, wall in fresh.walls.items()}
    cards = {name: state.light_cards.get(name, card) for name, card in fresh.light_cards.items()}
    cameras = {c.id for c in config.cameras}
    delays = {cam: ms for cam, ms in state.camera_delay_ms.items() if cam in cameras}
    return state.model_copy(update={"walls": walls, "light_cards": cards, "camera_delay_ms": delays})


def field_limits(key: str) -> tuple[float, float]:
    """``(lo, hi)`` of the live parameter ``key`` as its :class:`LiveState` field declares them (``walls.*.brightness``,
    ``camera_delay_ms.*``, ``offset_m``: a vector's per-element range); ``±inf`` where the field sets none.

    The one place the value limits live: OSC, ``stage set``, presets and the render node derive theirs from here.
    """
    parts = key.split(".")
    annotation: Any = LiveState
    info: FieldInfo | None = None
    for part in parts:
        if part == "*":
            annotation, info = get_args(annotation)[1], None  # dict[str, V] → V
        else:
            info = _model_of(annotation).model_fields[part]
            annotation = info.annotation
    lo, hi = -math.inf, math.inf
    for item in (list(info.metadata) if info is not None else []) + _metadata(annotation):
        for name in ("ge", "gt"):  # pydantic's Ge/Gt/Le/Lt constraint objects
            if getattr(item, name, None) is not None:
                lo = max(lo, float(getattr(item, name)))
        for name in ("le", "lt"):
            if getattr(item, name, None) is not None:
                hi = min(hi, float(getattr(item, name)))
    return lo, hi


def _model_of(annotation: Any) -> type[BaseModel]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    raise KeyError(f"not a nested model: {annotation!r}")


def _metadata(annotation: Any) -> list[Any]:
    """Constraint metadata inside ``annotation``: through ``Annotated``, ``X | None`` and a tuple's first element."""
    origin = get_origin(annotation)
    if origin is Annotated:
        args = get_args(annotation)
        out = _metadata(args[0])
        for item in args[1:]:
            out.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        return out
    if origin in (Union, types.UnionType):
        return [m for arg in get_args(annotation) if arg is not type(None) for m in _metadata(arg)]
    if origin is tuple:
        return _metadata(get_args(annotation)[0])
    return []


OCIO_WALL_FIELDS = ("display", "view", "look")


def display_views(state: LiveState) -> dict[str, DisplayView]:
    """Each wall's live OCIO display/view/look, for :class:`renderer.gl.wall_pass.WallFrame`."""
    return {name: DisplayView(w.display, w.view, w.look or None) for name, w in state.walls.items()}


def _wall_field(state: LiveState, path: str) -> str | None:
    _, name, field = path.split(".")
    wall = state.walls.get(name)
    return None if wall is None else getattr(wall, field)


def check_color_change(config: StageConfig, old: LiveState, new: LiveState, changed: set[str]) -> LiveState:
    """``new`` with each wall's view following its display (a view the new display lacks becomes ``null``,
    unless the view was set in the same change), or :class:`OcioError` naming the first missing name and the
    valid choices (``walls.<wall>.<field>: ...``). ``changed`` holds the dotted paths set by this change."""
    touched = {p for p in changed if p.startswith("walls.") and p.rsplit(".", 1)[-1] in OCIO_WALL_FIELDS}
    if not touched:
        return new
    if config.color.ocio_config is None:
        named = sorted(p for p in touched if _wall_field(new, p) is not None)
        if named:
            raise OcioError(f"{named[0]}: needs color.ocio_config (the built-in chain has no displays)")
        return new
    ocio = load_config(config.color.ocio_config)
    walls = dict(new.walls)
    for name, wall in new.walls.items():
        before = old.walls.get(name)
        if before is not None and wall.display != before.display and f"walls.{name}.view" not in changed \
                and wall.view is not None and "view" in check_names(ocio, DisplayView(wall.display, wall.view)):
            wall = walls[name] = wall.model_copy(update={"view": None})
        for field, problem in check_names(ocio, DisplayView(wall.display, wall.view, wall.look or None)).items():
            raise OcioError(f"walls.{name}.{field}: {problem}")
    return new.model_copy(update={"walls": walls})
