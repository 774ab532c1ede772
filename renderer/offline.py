"""One deterministic frame of a stage, offscreen: what ``stage render`` and golden tests use.

``render_frame`` draws every wall at its LED resolution, the camera's own view and the witness preview, and returns
them with the geometry that ``render.json`` records. Same inputs, same machine → byte-identical images.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from renderer.frame import build_frame
from renderer.views import CameraState, CameraView, camera_resolution_px, camera_view
from stage.core.color.png16 import save_png16, to_uint8, to_uint16
from stage.core.config.scene import SceneConfig
from stage.core.config.stage import StageConfig
from stage.core.config.wall_geometry import wall_resolution_px, wall_sections
from stage.core.live import LiveState


@dataclass
class FrameResult:
    walls: dict[str, np.ndarray]
    """Wall images, RGBA8, row 0 top, at LED resolution (for walls in ``walls_16bit``: those rounded to 8 bits)."""
    camera: np.ndarray
    preview: np.ndarray
    view: CameraView
    camera_size_px: tuple[int, int]
    metadata: dict = field(default_factory=dict)
    walls_16bit: dict[str, np.ndarray] = field(default_factory=dict)
    """Wall images whose encoding needs more than 8 bits (PQ), uint16 RGBA; written as 16-bit PNGs."""


def render_frame(
    config: StageConfig,
    scene: SceneConfig,
    cameras: list[CameraState],
    live: LiveState | None = None,
    time_s: float = 0.0,
    camera_width_px: int = 960,
    context=None,
) -> FrameResult:
    """Render one frame headless, built by :func:`renderer.frame.build_frame` exactly as the render node builds
    its frames. ``cameras[0]`` is the camera whose view and preview are produced; the highest-priority cameras (at
    most four) get an inner frustum. Creates (and closes) a headless GL context unless one is given and current."""
    from renderer.gl import create_context
    from renderer.gl.stage_renderer import StageRenderer, outer_face_size

    live = live or LiveState.from_config(config)
    frame = build_frame(config, scene, live, cameras, time_s)
    main_view = camera_view(cameras[0], live.overscan_pct)
    own = context is None
    ctx = create_context("headless") if own else context
    try:
        renderer = StageRenderer(scene, list(config.walls), config.render.inner.resolution_px, len(frame.views),
                                 outer_face_size(list(config.walls), config.render.outer.resolution_scale),
                                 config.color, config.render.wall_cache)
        try:
            renderer.prepare(frame)
            fbs = {}
            try:
                for wall in config.walls:
                    fbs[wall.name] = renderer.wall_image(wall.name, frame)
                walls, walls_16bit = {}, {}
                for name, fb in fbs.items():
                    image = fb.read()
                    if image.dtype != np.uint8:  # a float target: an encoding that needs 16 bits
                        walls_16bit[name], image = to_uint16(image), to_uint8(image)
                    walls[name] = image
                size = camera_resolution_px(cameras[0].sensor_mm, camera_width_px)
                camera = renderer.camera_image(main_view, size, frame.exposure_gain, time_s=frame.time_s,
                                               white_balance=frame.white_balance)
                preview = renderer.preview_image(main_view, size, list(config.walls), fbs)
            finally:
                for fb in fbs.values():
                    fb.delete()
        finally:
            renderer.delete()
    finally:
        if own:
            ctx.close()
    return FrameResult(walls=walls, camera=camera, preview=preview, view=main_view, camera_size_px=size,
                       walls_16bit=walls_16bit)


def camera_json(result: FrameResult, camera: CameraState, image: str = "camera.png",
                preview: str = "preview.png") -> dict:
    """The ``camera`` entry of ``render.json``: pose, lens and matrices of ``result``'s main view."""
    view = result.view
    return {
        "id": camera.camera,
        "world_from_camera": view.world_from_camera.tolist(),
        "projection": view.projection_lens.tolist(),
        "resolution": list(result.camera_size_px),
        "position_m": list(camera.position_m),
        "rotation_deg": list(camera.rotation_deg),
        "entrance_pupil_m": camera.entrance_pupil_m,
        "focal_length_mm": camera.focal_length_mm,
        "sensor_mm": list(camera.sensor_mm),
        "image": image,
        "preview": preview,
    }


def walls_json(config: StageConfig, image: str = "walls/{wall}.png") -> list[dict]:
    """The ``walls`` entries of ``render.json``; ``image`` is the file name with ``{wall}`` for the wall's name."""
    walls = []
    for wall in config.walls:
        w, h = wall_resolution_px(wall)
        walls.append({
            "name": wall.name,
            "image": image.format(wall=wall.name),
            "resolution": [w, h],
            "sections": [s.to_json() for s in wall_sections(wall)],
        })
    return walls


def render_json(config: StageConfig, result: FrameResult, camera: CameraState) -> dict:
    """The ``render.json`` document (docs/rendering.md)."""
    return {"camera": camera_json(result, camera), "walls": walls_json(config)}


def save_png(image: np.ndarray, path: Path) -> None:
    """Write an RGB(A) image as an RGB PNG (alpha dropped): 8-bit for uint8, 16-bit for uint16."""
    if image.dtype == np.uint16:
        save_png16(image, path)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "RGBA" if image.shape[2] == 4 else "RGB"
    Image.fromarray(np.ascontiguousarray(image[:, :, :3] if mode == "RGBA" else image), "RGB").save(path, "PNG")


def write_json(path: Path, doc: dict) -> None:
    """``doc`` as indented JSON, written to a temporary file and renamed."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2))
    tmp.replace(path)


def write_frame(out_dir: Path, config: StageConfig, result: FrameResult, camera: CameraState) -> None:
    """``walls/<wall>.png`` (16-bit for PQ walls), ``camera.png``, ``preview.png`` and ``render.json`` under
    ``out_dir``."""
    write_images(out_dir, result)
    write_json(out_dir / "render.json", render_json(config, result, camera))


def write_images(out_dir: Path, result: FrameResult, suffix: str = "") -> None:
    """``walls/<wall><suffix>.png`` (16-bit for PQ walls), ``camera<suffix>.png`` and ``preview<suffix>.png``
    under ``out_dir``: one frame, or with ``suffix`` ``.0001`` one frame of image sequences."""
    for name, image in result.walls.items():
        save_png(result.walls_16bit.get(name, image), out_dir / "walls" / f"{name}{suffix}.png")
    save_png(result.camera, out_dir / f"camera{suffix}.png")
    save_png(result.preview, out_dir / f"preview{suffix}.png")
