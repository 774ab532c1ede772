"""Human- and machine-readable summaries of a loaded stage config."""

from __future__ import annotations

import os
from typing import Any

from stage.core.config.cameras import FixedLens
from stage.core.config.color import WallColor
from stage.core.config.frame_rate import describe_frame_rate
from stage.core.config.scene import SceneConfig
from stage.core.config.sources import FreeDSource, OpenTrackIOSource, ReplaySource, SimulatedSource
from stage.core.config.stage import StageConfig
from stage.core.config.wall_geometry import wall_resolution_px, wall_sections, wall_size_m


def _source_text(source: Any) -> str:
    if isinstance(source, FreeDSource):
        return f"FreeD udp://{source.bind}:{source.port} preset={source.preset}"
    if isinstance(source, OpenTrackIOSource):
        return f"OpenTrackIO udp://{source.address}:{source.port}"
    if isinstance(source, SimulatedSource):
        return f"simulated {source.move} at {source.rate_hz:g} Hz"
    if isinstance(source, ReplaySource):
        return f"replay {source.take} ({source.speed})"
    return source.kind


def wall_color_text(config: StageConfig, wall: Any) -> str:
    """What a wall shows: its OCIO display / view (+ look), defaults resolved, or its built-in encoding."""
    color = wall.color
    if config.color.ocio_config is None:
        return color_text(color)
    lut = f", LUT {os.path.basename(color.lut)}" if color.lut else ""
    from stage.core.color.ocio import DisplayView, OcioError, load_config, resolve_display_view

    try:
        dv = resolve_display_view(load_config(config.color.ocio_config),
                                  DisplayView(color.display, color.view, color.look))
    except OcioError as exc:
        return f"OCIO config not loaded ({exc})"
    look = f" + look {dv.look}" if dv.look else ""
    return f"{dv.display} / {dv.view}{look}{lut}"


def color_text(color: WallColor) -> str:
    """A wall's output transform in one line: transfer, gamut, PQ peak, LUT."""
    transfer = {"srgb": "sRGB", "bt1886": "BT.1886", "pq": "PQ (ST 2084)", "linear": "linear"}[color.transfer]
    gamut = {"rec709": "Rec.709", "p3d65": "P3-D65", "rec2020": "Rec.2020"}[color.gamut]
    parts = [f"{transfer}, {gamut}"]
    if color.transfer == "pq":
        parts.append(f"peak {color.peak_nits:g} nits")
    parts.append(f"LUT {os.path.basename(color.lut)} ({color.lut_interpolation})" if color.lut else "no LUT")
    return ", ".join(parts)


def _output_lines(config: StageConfig) -> list[str]:
    """Per node, its outputs with size and bits per channel (``bit_depth`` resolved as the node resolves it)."""
    from stage.core.color.bit_depth import walls_on_output, walls_output_bits
    from stage.core.color.ocio import OcioError

    lines = []
    for node in config.nodes:
        parts = []
        for out in node.outputs:
            try:
                bits = f"{walls_output_bits(out.bit_depth, walls_on_output(config, node, out.name), config.color)}"
            except OcioError:
                bits = "?"  # the colour problem is reported on its own
            auto = " (auto)" if out.bit_depth == "auto" else ""
            parts.append(f"{out.name} {out.resolution_px[0]} × {out.resolution_px[1]}, {bits}-bit{auto}")
        lines.append(f"  {node.name:<14} {'; '.join(parts)}")
    return lines


def cluster_text(config: StageConfig) -> str:
    """The frame lock in one line."""
    cluster = config.cluster
    if not cluster.frame_lock:
        return f"frame lock: off (each node paces itself at {config.render.target_fps:g} fps)"
    return (f"frame lock: {describe_frame_rate(cluster.frame_rate)}, barrier timeout "
            f"{cluster.barrier_timeout_ms:g} ms, frames {cluster.frames}, ready {cluster.ready}")


def summary_lines(config: StageConfig, scene: SceneConfig | None = None) -> list[str]:
    """A short multi-line summary: walls, pixel count, cameras, sources, endpoints."""
    lines = [f"stage: {config.name}"]
    total_px = 0
    lines.append(f"walls ({len(config.walls)}):")
    for wall in config.walls:
        w_m, h_m = wall_size_m(wall)
        w_px, h_px = wall_resolution_px(wall)
        total_px += w_px * h_px
        sections = len(wall_sections(wall))
        extra = f", {sections} cabinet columns" if sections > 1 and wall.cabinets is None else ""
        if wall.cabinets is not None:
            cab = wall.cabinets
            extra += (f", {cab.count[0]} × {cab.count[1]} cabinets of {cab.size_mm[0]:g} × {cab.size_mm[1]:g} mm"
                      f" ({cab.pixels[0]} × {cab.pixels[1]} px, {cab.pitch_mm[0]:.3g} mm)")
        lines.append(
            f"  {wall.name:<14} {wall.kind:<8} {w_m:6.2f} × {h_m:5.2f} m  {w_px:>5} × {h_px:<5} px"
            f"  → {wall.output.node}{extra}"
        )
        lines.append(f"  {'':<14} colour: {wall_color_text(config, wall)}")
    if config.color.ocio_config is not None:
        space = config.color.working_space or "scene_linear role"
        lines.append(f"colour management: OCIO {config.color.ocio_config}, working space {space}")
    lines.append(f"pixels: {total_px:,}")
    lines.append(f"cameras ({len(config.cameras)}):")
    for cam in config.cameras:
        lens = (
            f"{cam.lens.focal_length_mm:g} mm fixed"
            if isinstance(cam.lens, FixedLens)
            else f"zoom table {cam.lens.zoom[0].focal_length_mm:g}–{cam.lens.zoom[-1].focal_length_mm:g} mm"
        )
        sensor = f"{cam.sensor_mm[0]:g} × {cam.sensor_mm[1]:g} mm"
        lines.append(f"  {cam.id:<14} sensor {sensor}, {lens}, source {cam.source}")
    lines.append(f"sources ({len(config.sources)}):")
    for source in config.sources:
        lines.append(f"  {source.name:<14} {_source_text(source)}")
    lines.append(f"render nodes: {', '.join(n.name if n.is_local else f'{n.name} @ {n.host}' for n in config.nodes)}")
    lines.extend(_output_lines(config))
    lines.append(cluster_text(config))
    lines.append(
        f"endpoints: pose {config.endpoints.pose}, state {config.endpoints.state}, "
        f"control {config.control.endpoint}, OSC udp://{config.control.osc_bind}:{config.control.osc_port}"
    )
    if scene is not None:
        lines.append(f"scene: {scene.name} ({len(scene.objects)} objects)")
    return lines


def resolved_json(config: StageConfig, scene: SceneConfig | None = None) -> dict[str, Any]:
    """The whole resolved config (defaults filled in) plus derived wall geometry, for scripts."""
    walls = []
    for wall in config.walls:
        w_px, h_px = wall_resolution_px(wall)
        w_m, h_m = wall_size_m(wall)
        walls.append(
            {
                "name": wall.name,
                "size_m": [w_m, h_m],
                "resolution_px": [w_px, h_px],
                "sections": [s.to_json() for s in wall_sections(wall)],
            }
        )
    out: dict[str, Any] = {"config": config.model_dump(mode="json"), "derived": {"walls": walls}}
    out["derived"]["pixel_count"] = sum(w["resolution_px"][0] * w["resolution_px"][1] for w in walls)
    if scene is not None:
        out["scene"] = scene.model_dump(mode="json")
    return out
