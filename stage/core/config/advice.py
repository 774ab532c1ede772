"""Warnings about a valid stage config: things that load and run, but are probably not what the crew meant.

Each check yields ``(key path, reason)`` like :mod:`stage.core.config.checks`; ``stage validate`` prints them as
``file:line: key: warning: reason`` and still exits 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stage.core.config.stage import StageConfig
from stage.core.config.walls import CurvedWall

Found = tuple[tuple[Any, ...], str]

WHOLE_PIXEL_TOLERANCE = 0.01
"""How far from a whole number of pixels a size over a pitch may be before we warn."""
LINUX_EPHEMERAL_PORTS = (32768, 60999)
"""Linux's default ``net.ipv4.ip_local_port_range``, used when the running system's cannot be read."""
_TCP_PORT = re.compile(r"^tcp://.+:(\d{1,5})$")


def stage_advice(config: StageConfig, port_range: tuple[int, int] | None = None) -> list[Found]:
    """Every warning for ``config``; ``port_range`` is the OS ephemeral port range (default: this machine's)."""
    ephemeral = port_range if port_range is not None else ephemeral_port_range()
    return [*_pitch_rounding(config), *_cabinets_vs_corners(config), *_ephemeral_ports(config, ephemeral),
            *_hdr_on_8_bits(config)]


def _fraction_off(value: float) -> float:
    return abs(value - round(value))


def _pitch_rounding(config: StageConfig) -> Iterator[Found]:
    """A size over a pitch that is not a whole number of pixels: real cabinets have whole pixels, so the image we
    derive does not match the processor's canvas (2.6 mm over 1.5 m gives 577 px; the cabinets give 576)."""
    from stage.core.config.wall_geometry import wall_size_m

    for i, wall in enumerate(config.walls):
        if wall.pixel_pitch_mm is None:
            continue
        width_m, height_m = wall_size_m(wall)
        if isinstance(wall, CurvedWall):
            width_m /= wall.columns
        pitch_m = wall.pixel_pitch_mm / 1000.0
        for what, size_m in (("cabinet column width" if isinstance(wall, CurvedWall) else "width", width_m),
                             ("height", height_m)):
            pixels = size_m / pitch_m
            if _fraction_off(pixels) > WHOLE_PIXEL_TOLERANCE:
                yield (
                    ("walls", i, "pixel_pitch_mm"),
                    f"{what} {size_m:.4g} m at {wall.pixel_pitch_mm:g} mm is {pixels:.2f} px, rounded to "
                    f"{max(1, round(pixels))}: give `cabinets` (size, pixels, count) or resolution_px for the exact "
                    "canvas",
                )


def _cabinets_vs_corners(config: StageConfig) -> Iterator[Found]:
    """A flat wall whose corners disagree with its cabinets by more than half a pixel."""
    from stage.core.config.wall_geometry import wall_size_m

    for i, wall in enumerate(config.walls):
        if wall.cabinets is None or isinstance(wall, CurvedWall):
            continue
        corners_m = wall_size_m(wall)
        cabinets_m = wall.cabinets.wall_size_m
        for axis, what in ((0, "width"), (1, "height")):
            half_pixel_m = wall.cabinets.pitch_mm[axis] / 2000.0
            if abs(corners_m[axis] - cabinets_m[axis]) > half_pixel_m:
                yield (
                    ("walls", i, "cabinets"),
                    f"the corners give a {what} of {corners_m[axis]:.4f} m but {wall.cabinets.count[axis]} cabinets "
                    f"of {wall.cabinets.size_mm[axis]:g} mm make {cabinets_m[axis]:.4f} m",
                )


def ephemeral_port_range(proc_file: Path = Path("/proc/sys/net/ipv4/ip_local_port_range")) -> tuple[int, int]:
    """The range the OS takes outgoing connections' ports from (Linux: ``ip_local_port_range``)."""
    try:
        low, high = (int(v) for v in proc_file.read_text().split())
    except (OSError, ValueError):
        return LINUX_EPHEMERAL_PORTS
    return low, high


def _listen_ports(config: StageConfig) -> Iterator[tuple[tuple[Any, ...], int]]:
    """Ports we choose and listen on. Tracking ports are left out: the sender dictates them, and the protocols'
    defaults (OpenTrackIO 55555, FreeD 40000) lie inside Linux's range anyway; a taken one fails the daemon's start
    with the port named."""
    for key in ("pose", "state", "render_stats"):
        m = _TCP_PORT.match(getattr(config.endpoints, key))
        if m:
            yield ("endpoints", key), int(m.group(1))
    m = _TCP_PORT.match(config.control.endpoint)
    if m:
        yield ("control", "endpoint"), int(m.group(1))
    for key in ("frames", "ready") if config.cluster.frame_lock else ():  # the frame clock listens on them
        m = _TCP_PORT.match(getattr(config.cluster, key))
        if m:
            yield ("cluster", key), int(m.group(1))
    yield ("control", "osc_port"), config.control.osc_port


def _ephemeral_ports(config: StageConfig, ephemeral: tuple[int, int]) -> Iterator[Found]:
    """A listening port inside the OS ephemeral range can be taken by any outgoing connection first (our own nodes'
    connects included), and the show then fails to start on a busy machine."""
    low, high = ephemeral
    for loc, port in _listen_ports(config):
        if low <= port <= high and port != 0:
            yield (
                loc,
                f"port {port} is inside this machine's ephemeral range {low}-{high}, which outgoing connections take "
                f"ports from; use a port below {low} (e.g. 5550-5599 for ZeroMQ, 9000 for OSC)",
            )


def _hdr_on_8_bits(config: StageConfig) -> Iterator[Found]:
    """An output set to ``bit_depth: 8`` that carries an HDR (PQ) wall: one 8-bit PQ step is a 4 % luminance jump
    at 100 nits, so gradients band on the wall."""
    from stage.core.color.bit_depth import wall_needs_high_bit_depth, walls_on_output
    from stage.core.color.ocio import OcioError

    for n, node in enumerate(config.nodes):
        for o, out in enumerate(node.outputs):
            if out.bit_depth != 8:
                continue
            for wall in walls_on_output(config, node, out.name):
                try:
                    hdr = wall_needs_high_bit_depth(wall.color, config.color)
                except OcioError:
                    continue  # a colour problem, reported as an error already
                if hdr:
                    yield (("nodes", n, "outputs", o, "bit_depth"),
                           f"wall {wall.name!r} sends an HDR (PQ) signal over this 8-bit output: it will band; use "
                           "10 or auto")
