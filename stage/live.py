"""The live parameters of a running stage: what directors and operators change during a shoot.

The orchestrator owns one :class:`LiveState`; render nodes receive a snapshot when they connect and changes after
(docs/osc.md lists the OSC addresses). ``LiveState.from_config`` gives the initial state of a stage config.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from stage.config.lightcards import LightCard
from stage.config.stage import StageConfig
from stage.config.types import Finite, NonNegativeFloat, Percent, PositiveFloat, StrictModel, Vec3


class WallLive(StrictModel):
    """Live settings of one wall."""

    brightness: NonNegativeFloat = 1.0
    """Output multiplier (linear light)."""
    enabled: bool = True
    """A disabled wall shows black."""


class LiveState(StrictModel):
    """Every live parameter of the stage."""

    scene: str | None = None
    """Scene file of the running show."""
    exposure_ev: Annotated[Finite, Field(ge=-10.0, le=10.0)] = 0.0
    """Exposure in stops: content is multiplied by 2^EV."""
    white_balance_k: Annotated[Finite, Field(ge=2000.0, le=15000.0)] = 6500.0
    """White point of the content, kelvin."""
    tint: Annotated[Finite, Field(ge=-1.0, le=1.0)] = 0.0
    """Green–magenta tint, −1..1."""
    overscan_pct: Percent = 10.0
    """Inner frustum overscan."""
    soft_edge_pct: Percent = 5.0
    """Inner/outer blend width."""
    chroma_key: bool = False
    """Inner frustum filled with the key colour."""
    walls: dict[str, WallLive] = {}
    """Per-wall brightness and enable, by wall name."""
    offset_m: Vec3 = (0.0, 0.0, 0.0)
    """Scene offset in the stage (added to the scene's own placement), metres."""
    yaw_deg: Finite = 0.0
    """Scene turn about stage Z (added to the scene's own), degrees."""
    scale: PositiveFloat = 1.0
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
            walls={w.name: WallLive(brightness=w.brightness, enabled=w.enabled) for w in config.walls},
            light_cards={c.name: c for c in config.render.light_cards},
        )
