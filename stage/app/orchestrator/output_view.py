"""A node output PNG as a person should see it: each wall's region converted from its output signal to sRGB with
the wall's preview transform (:mod:`stage.core.color.wall_preview`, the one the GL previews use), so a PQ/Rec.2020
wall in the contact sheet shows its picture, not its raw signal."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stage.core.color.ocio import DisplayView
from stage.core.color.png16 import load_png16, to_uint8
from stage.core.color.wall_preview import signal_to_srgb, wall_preview_processor
from stage.core.config.stage import StageConfig
from stage.core.config.wall_geometry import wall_resolution_px
from stage.core.live import LiveState, display_views


def output_of(path: Path, config: StageConfig) -> tuple[str, str] | None:
    """``(node, output)`` of a snapshot named ``…-<node>-<output>.png``, or ``None``."""
    for node in config.nodes:
        for output in node.outputs:
            if path.stem.endswith(f"-{node.name}-{output.name}"):
                return node.name, output.name
    return None


def output_for_viewing(path: Path, config: StageConfig, live: LiveState | None = None) -> np.ndarray:
    """The output image at ``path`` (8- or 16-bit PNG) as uint8 sRGB ``H × W × 3``: every wall of that node output
    converted by its own preview transform (display/view from ``live`` when given); pixels outside walls as is."""
    signal = load_png16(path).astype(np.float64) / 65535.0
    target = output_of(path, config)
    if target is None:
        return to_uint8(signal)
    image = signal.copy()
    selections = display_views(live) if live is not None else {}
    first = {n.name: n.outputs[0].name for n in config.nodes}
    for wall in config.walls:
        region = wall.output
        if (region.node, region.output or first.get(region.node)) != target:
            continue
        selection = selections.get(wall.name) or DisplayView(wall.color.display, wall.color.view, wall.color.look)
        processor = wall_preview_processor(wall.color, config.color, selection)
        (x, y), (w, h) = region.offset_px, wall_resolution_px(wall)
        image[y:y + h, x:x + w] = signal_to_srgb(signal[y:y + h, x:x + w], processor)
    return to_uint8(image)
