"""The one frame builder (renderer/frame.py): which cameras get an inner frustum, what the live state turns into,
and that scene time animates every kind of object. The pure part needs no GL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from renderer.frame import FrameBuilder, build_frame, exposure_gain, inner_views
from renderer.gl.wall_pass import MAX_CAMERAS
from renderer.views import CameraState
from stage.core.color.white_balance import white_balance_matrix
from stage.core.config.lightcards import LightCard
from stage.core.config.loader import load_scene_config, load_stage_config
from stage.core.live import LiveState
from stage.core.wire.state import apply_changes

REPO = Path(__file__).resolve().parents[2]


def cam(name: str, priority: int, x: float = 0.0) -> CameraState:
    return CameraState(camera=name, position_m=(x, 0.5, 1.6), rotation_deg=(0.0, 0.0, 0.0), focal_length_mm=24.0,
                       sensor_mm=(24.89, 14.0), priority=priority)


def test_more_cameras_than_layers_keep_the_highest_priorities_lowest_first() -> None:
    cameras = [cam("p3", 3), cam("p0", 0), cam("p5", 5), cam("p1", 1), cam("p4", 4), cam("p2", 2)]
    assert [v.camera for v in inner_views(cameras, 10.0)] == ["p2", "p3", "p4", "p5"]
    assert [v.camera for v in inner_views(cameras, 10.0, layers=2)] == ["p4", "p5"]
    assert [v.camera for v in inner_views(cameras, 10.0, layers=99)] == ["p2", "p3", "p4", "p5"]  # capped
    assert [v.camera for v in inner_views([cam("a", 1), cam("b", 1)], 10.0, layers=1)] == ["b"]  # ties: last given
    assert inner_views([], 10.0) == []
    with pytest.raises(ValueError):
        inner_views(cameras, 10.0, layers=0)


def test_live_state_reaches_the_frame() -> None:
    config = load_stage_config(REPO / "configs" / "demo.yaml")
    scene = load_scene_config(REPO / "scenes" / "gallery.yaml")
    live = apply_changes(LiveState.from_config(config), {
        "exposure_ev": 1.5, "white_balance_k": 4000.0, "tint": -0.3, "chroma_key": True, "soft_edge_pct": 7.0,
        "overscan_pct": 20.0, "time_of_day_h": 8.0, "offset_m": [1.0, 2.0, 0.5], "yaw_deg": 10.0, "scale": 2.0,
        "walls.main.brightness": 0.25, "walls.ceiling.enabled": False,
        "light_cards.k": {"name": "k", "wall": "main", "center_uv": [0.5, 0.5]},
    })
    frame = build_frame(config, scene, live, [cam("c", 0)], time_s=12.5)
    assert frame.time_s == 12.5 and frame.time_of_day_h == 8.0
    assert frame.exposure_gain == exposure_gain(1.5) == 2.0**1.5 and frame.wall.exposure_gain == frame.exposure_gain
    assert (frame.wall.white_balance_k, frame.wall.tint) == (4000.0, -0.3)
    np.testing.assert_allclose(frame.white_balance, white_balance_matrix(4000.0, -0.3))
    assert frame.wall.chroma_key and frame.wall.soft_edge_pct == 7.0
    assert frame.wall.key_color == config.render.chroma_key.color
    own = scene.placement
    assert frame.placement.offset_m == tuple(a + b for a, b in zip(own.offset_m, (1.0, 2.0, 0.5), strict=True))
    assert (frame.placement.yaw_deg, frame.placement.scale) == (own.yaw_deg + 10.0, own.scale * 2.0)
    assert frame.wall_live("main").brightness == 0.25 and not frame.wall_live("ceiling").enabled
    assert frame.wall_live("side-right").enabled and frame.wall_live("nope").brightness == 1.0
    assert [c.name for c in frame.cards] == ["k"] and frame.cards[0].wall == "main"
    wider = build_frame(config, scene, LiveState.from_config(config), [cam("c", 0)])
    assert abs(frame.views[0].projection[0, 0]) < abs(wider.views[0].projection[0, 0])  # 20 % overscan vs 10 %


def test_cards_are_placed_again_only_when_they_change() -> None:
    config = load_stage_config(REPO / "configs" / "demo.yaml")
    scene = load_scene_config(REPO / "scenes" / "demo.yaml")
    builder = FrameBuilder(config)
    live = LiveState.from_config(config)
    live.light_cards = {"k": LightCard(name="k", wall="main", center_uv=(0.2, 0.5))}
    first = builder.build(scene, live, [])
    assert builder.build(scene, live.model_copy(), []).cards is first.cards
    moved = live.model_copy(update={"light_cards": {"k": LightCard(name="k", wall="main", center_uv=(0.8, 0.5))}})
    again = builder.build(scene, moved, [])
    assert again.cards is not first.cards and again.cards[0].center_m[0] > first.cards[0].center_m[0]


@pytest.mark.gl
def test_five_cameras_render_like_their_four_highest_priorities(gl_context) -> None:
    from renderer.offline import render_frame

    config = load_stage_config(REPO / "configs" / "demo.yaml")
    scene = load_scene_config(REPO / "tests" / "data" / "overhead.yaml")
    cameras = [cam(f"c{i}", p, x) for i, (p, x) in enumerate([(5, -2.0), (1, -1.0), (4, 0.0), (3, 1.0), (2, 2.0)])]
    assert len(cameras) == MAX_CAMERAS + 1
    five = render_frame(config, scene, cameras, camera_width_px=32, context=gl_context).walls["main"]
    four = render_frame(config, scene, [c for c in cameras if c.priority > 1], camera_width_px=32,
                        context=gl_context).walls["main"]
    np.testing.assert_array_equal(five, four)
    low = render_frame(config, scene, [c for c in cameras if c.priority < 5], camera_width_px=32,
                       context=gl_context).walls["main"]
    assert np.abs(five.astype(int) - low).max(axis=2).max() > 8, "dropping the top priority must change the wall"


@pytest.mark.gl
def test_scene_time_turns_a_spinning_gltf_model(gl_context) -> None:
    """The gallery sculpture (a glTF model, 12 °/s) turns with ``time_s``; a whole turn (30 s) looks the same."""
    from renderer.offline import render_frame

    config = load_stage_config(REPO / "configs" / "demo.yaml")
    scene = load_scene_config(REPO / "scenes" / "gallery.yaml")
    camera = CameraState(camera="c", position_m=(0.0, 0.5, 1.5), rotation_deg=(0.0, 5.0, 0.0), focal_length_mm=35.0,
                         sensor_mm=(24.89, 14.0))

    def camera_image(time_s: float) -> np.ndarray:
        return render_frame(config, scene, [camera], None, time_s, 160, context=gl_context).camera.astype(int)

    start, later, turn = camera_image(0.0), camera_image(5.0), camera_image(30.0)
    assert (np.abs(later - start).max(axis=2) > 8).sum() > 100
    assert (np.abs(turn - start).max(axis=2) > 8).sum() <= 5
