"""How many bits per channel a wall's signal needs, and how many an output carries.

SDR encodings (sRGB, BT.1886, gamma 2.6, …) are fine at 8 bits. PQ (and HLG) are not: one 8-bit PQ step is a 4 %
luminance jump at 100 nits, four times the 10-bit step, and bands on a smooth sky; LED processors take them at 10
bits or more (DisplayPort, HDMI, SDI). A render node's output carries 10 bits when its config says so
(``nodes[].outputs[].bit_depth``), or — ``auto``, the default — when a wall on it starts with such a signal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from stage.core.color.ocio import DisplayView, is_high_bit_depth
from stage.core.config.color import ColorManagement, WallColor
from stage.core.config.stage import BitDepth, RenderNode, StageConfig
from stage.core.config.walls import Wall

HIGH_BIT_DEPTH_TRANSFERS = frozenset({"pq"})
"""Built-in transfers whose signal needs more than 8 bits."""
HIGH_BITS = 10
"""Bits per channel of an output carrying an HDR signal (RGB10_A2: what LED processors take)."""


def wall_needs_high_bit_depth(color: WallColor, management: ColorManagement | None,
                              selection: DisplayView | None = None) -> bool:
    """True when the wall's signal is HDR: a built-in ``transfer: pq``, or an OCIO display/view (``selection``, the
    live choice; default the wall's config) whose encoding needs more than 8 bits."""
    if management is not None and management.ocio_config is not None:
        chosen = selection or DisplayView(color.display, color.view, color.look)
        return is_high_bit_depth(management.ocio_config, chosen)
    return color.transfer in HIGH_BIT_DEPTH_TRANSFERS


def output_bits(setting: BitDepth, needs_high: bool) -> int:
    """Bits per channel of an output: ``setting``, or for ``auto`` :data:`HIGH_BITS` when a wall on it
    ``needs_high`` bits and 8 otherwise."""
    if setting == "auto":
        return HIGH_BITS if needs_high else 8
    return int(setting)


def walls_output_bits(setting: BitDepth, walls: Iterable[Wall], management: ColorManagement | None,
                      selections: Mapping[str, DisplayView] | None = None) -> int:
    """Bits per channel of an output showing ``walls`` (``selections``: the live display/view per wall name);
    :class:`stage.core.color.ocio.OcioError` if a wall names a display the OCIO config lacks."""
    views = selections or {}
    return output_bits(setting, any(wall_needs_high_bit_depth(w.color, management, views.get(w.name))
                                    for w in walls))


def walls_on_output(config: StageConfig, node: RenderNode, output: str) -> list[Wall]:
    """The walls ``node`` shows on its output ``output`` (a wall without ``output.output`` is on the first)."""
    return [w for w in config.walls
            if w.output.node == node.name and (w.output.output or node.outputs[0].name) == output]


def narrow_hdr_warnings(config: StageConfig, selections: Mapping[str, DisplayView], walls: Iterable[str],
                        reported_bits: Mapping[str, Mapping[str, int]]) -> list[str]:
    """One line per wall of ``walls`` (names) whose live display/view (``selections``) is HDR while the output it is
    on runs with fewer than :data:`HIGH_BITS` bits, as its node reported (``reported_bits``: node → output → bits;
    a node without a report is not judged). An output's depth is chosen when its node starts."""
    nodes = {n.name: n for n in config.nodes}
    by_name = {w.name: w for w in config.walls}
    lines = []
    for name in walls:
        wall = by_name.get(name)
        node = nodes.get(wall.output.node) if wall is not None else None
        if node is None:
            continue
        output = wall.output.output or node.outputs[0].name
        bits = reported_bits.get(node.name, {}).get(output)
        if bits is None or bits >= HIGH_BITS:
            continue
        if wall_needs_high_bit_depth(wall.color, config.color, selections.get(name)):
            lines.append(f"wall {name}: an HDR signal over {bits}-bit output {node.name}/{output} bands until the "
                         f"node restarts (bit_depth: auto) or the output is set to bit_depth: {HIGH_BITS}")
    return lines
