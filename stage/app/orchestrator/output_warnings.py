"""Warnings a live change earns without being refused: a wall switched to an HDR display on an output its render
node runs at 8 bits (docs/color.md, "Bit depth and files"). ``stage set`` prints them as ``warning:`` lines; OSC
answers the sender with ``/stage/warning s`` (the tablet's "Last warning")."""

from __future__ import annotations

import logging
import time
from typing import Any

from stage.app.orchestrator.health import Health
from stage.core.color.bit_depth import narrow_hdr_warnings
from stage.core.color.ocio import OcioError
from stage.core.config.stage import StageConfig
from stage.core.live import LiveState, display_views

log = logging.getLogger(__name__)

COLOR_LEAVES = ("display", "view", "look")


def change_warnings(config: StageConfig, state: LiveState, health: Health, changed: dict[str, Any],
                    now: float | None = None) -> list[str]:
    """The warnings of an applied change ``changed`` (parameter → value) in live state ``state``, judged against
    the output depths the render nodes last reported; each is logged."""
    walls = sorted({key.split(".")[1] for key in changed
                    if key.startswith("walls.") and key.rsplit(".", 1)[-1] in COLOR_LEAVES})
    if not walls:
        return []
    now = time.monotonic() if now is None else now
    reported = {node: stats.output_bits for node in health.nodes
                if (stats := health.node_stats(node, now)) is not None}
    try:
        lines = narrow_hdr_warnings(config, display_views(state), walls, reported)
    except OcioError:
        return []  # the change was checked against the config: not reachable, and never worth a crash
    for line in lines:
        log.warning("%s", line)
    return lines
