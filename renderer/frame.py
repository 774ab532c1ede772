"""The one frame builder (pure numpy, no GL calls): stage config + scene + live state + camera poses + scene time →
everything a frame draws.

The render node (:mod:`renderer.node_outputs`), ``stage render`` and the golden frames (:mod:`renderer.offline`)
all build their frames here and hand the result to :meth:`renderer.gl.stage_renderer.StageRenderer.prepare`, so a
proof made offline (goldens, in-camera check) also covers what the stage shows (CONVENTIONS.md, lesson 11).

Rules decided here, once:

* **Inner frusta**: cameras sorted by ``priority``; when there are more than the inner target has layers (at most
  :data:`~renderer.gl.wall_pass.MAX_CAMERAS`), the **highest** priorities are kept. Layers are ordered lowest
  priority first, so where frusta overlap on a wall the highest-priority camera's is drawn on top.
* **Scene placement**: the live ``offset_m`` is added to the scene's, ``yaw_deg`` added, ``scale`` multiplied.
* **Scene time** ``time_s`` drives animation (``spin_deg_per_s``); the caller chooses it: ``stage render --time``,
  a take's sample times, or the node's frame start on the Unix clock (the same on every node of a stage).
* **Walls** missing from ``live.walls`` show at brightness 1, enabled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from renderer.gl.wall_pass import MAX_CAMERAS, WallFrame, camera_looks
from renderer.lightcards import PlacedCard, place_cards
from renderer.views import CameraState, CameraView, camera_view
from stage.core.color.white_balance import white_balance_matrix
from stage.core.config.scene import SceneConfig
from stage.core.config.stage import StageConfig
from stage.core.live import LiveState, WallLive, display_views

DEFAULT_WALL = WallLive()
"""Live settings of a wall the live state does not name."""


@dataclass(frozen=True)
class Placement:
    """Where the scene sits in the stage this frame: ``p_stage = offset_m + scale · Rz(yaw_deg) · p_scene``."""

    offset_m: tuple[float, float, float]
    yaw_deg: float
    scale: float


@dataclass(frozen=True)
class Frame:
    """Everything one frame draws, for every wall of every node."""

    time_s: float
    """Scene time, seconds (animation)."""
    views: list[CameraView]
    """Inner-frustum views, lowest priority first (layer i of the inner target)."""
    wall: WallFrame
    """Per-frame inputs of the wall pass."""
    cards: list[PlacedCard]
    """Enabled light cards on their walls."""
    placement: Placement
    time_of_day_h: float | None
    """Live time of day (``None``: the scene's own)."""
    walls: dict[str, WallLive]
    """Live brightness and enable of every wall of the config, by name."""
    exposure_gain: float
    """2^EV (linear), also applied to the camera image."""
    white_balance: np.ndarray
    """3×3 linear Rec.709 white-balance matrix of the live white balance and tint (camera image)."""

    def wall_live(self, name: str) -> WallLive:
        return self.walls.get(name, DEFAULT_WALL)


def exposure_gain(exposure_ev: float) -> float:
    """Linear gain of an exposure in stops: 2^EV."""
    return 2.0 ** float(exposure_ev)


def inner_views(cameras: list[CameraState], overscan_pct: float, layers: int = MAX_CAMERAS) -> list[CameraView]:
    """The inner-frustum views of a frame: at most ``layers`` cameras (the highest priorities win; equal priorities
    keep their given order), lowest priority first."""
    if layers < 1:
        raise ValueError(f"layers must be at least 1, got {layers}")
    ordered = sorted(cameras, key=lambda c: c.priority)  # stable: equal priorities keep their order
    return [camera_view(c, overscan_pct) for c in ordered[-min(layers, MAX_CAMERAS):]]


def placement(scene: SceneConfig, live: LiveState) -> Placement:
    own = scene.placement
    offset = tuple(float(a + b) for a, b in zip(own.offset_m, live.offset_m, strict=True))
    return Placement(offset, float(own.yaw_deg + live.yaw_deg), float(own.scale * live.scale))


class FrameBuilder:
    """Builds frames of one stage config. Light cards are ray-cast only when the live cards change, so a render
    node can build a frame every refresh."""

    def __init__(self, config: StageConfig) -> None:
        self.config = config
        self._cards_key: dict | None = None
        self._cards: list[PlacedCard] = []

    def cards(self, live: LiveState) -> list[PlacedCard]:
        if self._cards_key is None or live.light_cards != self._cards_key:
            self._cards = place_cards(list(live.light_cards.values()), list(self.config.walls),
                                      self.config.render.outer.viewpoint_m)
            self._cards_key = dict(live.light_cards)
        return self._cards

    def build(self, scene: SceneConfig, live: LiveState, cameras: list[CameraState], time_s: float = 0.0,
              layers: int = MAX_CAMERAS) -> Frame:
        """The frame of ``cameras`` (any order) at scene time ``time_s``; ``layers``: how many inner frusta the
        target holds."""
        render = self.config.render
        views = inner_views(cameras, live.overscan_pct, layers)
        gain = exposure_gain(live.exposure_ev)
        wall = WallFrame(
            inner_clip=[v.clip_from_world for v in views],
            soft_edge_pct=live.soft_edge_pct,
            chroma_key=live.chroma_key,
            key_color=render.chroma_key.color,
            marker_grid=render.chroma_key.marker_grid,
            marker_spacing_m=render.chroma_key.marker_spacing_m,
            outer_eye_m=render.outer.viewpoint_m,
            exposure_gain=gain,
            white_balance_k=live.white_balance_k,
            tint=live.tint,
            color_management=self.config.color,
            display_views=display_views(live),
            inner_looks=camera_looks(self.config.cameras, [v.camera for v in views]),
        )
        walls = {w.name: live.walls.get(w.name, DEFAULT_WALL) for w in self.config.walls}
        return Frame(time_s=float(time_s), views=views, wall=wall, cards=self.cards(live),
                     placement=placement(scene, live), time_of_day_h=live.time_of_day_h, walls=walls,
                     exposure_gain=gain, white_balance=white_balance_matrix(live.white_balance_k, live.tint))


def build_frame(config: StageConfig, scene: SceneConfig, live: LiveState, cameras: list[CameraState],
                time_s: float = 0.0, layers: int = MAX_CAMERAS) -> Frame:
    """One frame, without a builder kept between frames (``stage render``, goldens)."""
    return FrameBuilder(config).build(scene, live, cameras, time_s, layers)
