"""Cross-field checks of a stage config that a single model cannot make.

Each check yields ``(key path, reason)``; the loader adds the file name and line.
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from stage.core.config.cluster_checks import cluster_checks
from stage.core.config.endpoint import endpoint_port, endpoint_problem
from stage.core.config.errors import format_loc
from stage.core.config.sources import FreeDSource, OpenTrackIOSource, ReplaySource
from stage.core.config.stage import StageConfig
from stage.core.config.types import MAX_SIDE_PX
from stage.core.config.walls import CurvedWall

Found = tuple[tuple[Any, ...], str]

RIGHT_ANGLE_TOLERANCE_DEG = 0.5
"""How far from 90° the two edges of a flat wall may be."""
MIN_EDGE_M = 0.01
"""Shorter edges than this make a wall degenerate."""


def check_stage(config: StageConfig, base_dir: Path) -> list[Found]:
    """Every cross-field problem of ``config``; paths in it are resolved against ``base_dir``."""
    sizes = list(_image_sizes(config))
    if sizes:  # the geometry checks need every wall's image size
        return [*sizes, *_unique_names(config), *_references(config)]
    checks = (
        _unique_names(config),
        _references(config),
        _wall_geometry(config),
        _output_regions(config),
        _endpoints(config),
        _ports(config),
        _files(config, base_dir),
        _luts(config, base_dir),
        _color_management(config, base_dir),
        _subnets(config),
        cluster_checks(config),
    )
    return [found for check in checks for found in check]


def _duplicates(items: list[Any], key: str, where: str) -> Iterator[Found]:
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        value = getattr(item, key)
        if value in first:
            yield (where, i, key), f"duplicate {key} {value!r} (also {where}[{first[value]}])"
        else:
            first[value] = i


def _unique_names(config: StageConfig) -> Iterator[Found]:
    yield from _duplicates(config.walls, "name", "walls")
    yield from _duplicates(config.cameras, "id", "cameras")
    yield from _duplicates(config.sources, "name", "sources")
    yield from _duplicates(config.nodes, "name", "nodes")
    for (_, i, _key), _msg in _duplicates(config.nodes, "process_name", "nodes"):
        other = next(n.name for n in config.nodes if n.process_name == config.nodes[i].process_name)
        if other != config.nodes[i].name:
            yield ("nodes", i, "name"), (f"node {config.nodes[i].name!r} would run as process "
                                         f"{config.nodes[i].process_name!r}, as node {other!r} does: rename one")
    for (_, i, key), msg in _duplicates(config.render.light_cards, "name", "light_cards"):
        yield ("render", "light_cards", i, key), msg
    for n, node in enumerate(config.nodes):
        for (_, i, key), msg in _duplicates(node.outputs, "name", "outputs"):
            yield ("nodes", n, "outputs", i, key), msg


def _references(config: StageConfig) -> Iterator[Found]:
    sources = {s.name for s in config.sources}
    for i, camera in enumerate(config.cameras):
        if camera.source not in sources:
            known = ", ".join(sorted(sources)) or "none defined"
            yield ("cameras", i, "source"), f"unknown source {camera.source!r} (sources: {known})"
    walls = {w.name for w in config.walls}
    for i, card in enumerate(config.render.light_cards):
        if card.wall is not None and card.wall not in walls:
            yield ("render", "light_cards", i, "wall"), f"unknown wall {card.wall!r}"
    nodes = {n.name: n for n in config.nodes}
    for i, wall in enumerate(config.walls):
        node = nodes.get(wall.output.node)
        if node is None:
            yield ("walls", i, "output", "node"), f"unknown render node {wall.output.node!r}"
        elif wall.output.output is not None and wall.output.output not in {o.name for o in node.outputs}:
            yield ("walls", i, "output", "output"), f"node {node.name!r} has no output {wall.output.output!r}"


def _image_sizes(config: StageConfig) -> Iterator[Found]:
    """Every wall image must come out at most :data:`MAX_SIDE_PX` pixels a side, also when derived from
    ``pixel_pitch_mm`` (a tiny pitch would ask for an endless image) or from ``cabinets``."""
    from stage.core.config.wall_geometry import wall_size_m

    for i, wall in enumerate(config.walls):
        if wall.pixel_pitch_mm is not None:
            width_m, height_m = wall_size_m(wall)
            longest_px = max(width_m, height_m) / (wall.pixel_pitch_mm / 1000.0)
            if not longest_px <= MAX_SIDE_PX:  # also catches inf and nan
                yield (("walls", i, "pixel_pitch_mm"),
                       f"{wall.pixel_pitch_mm:g} mm on a {width_m:g} × {height_m:g} m wall needs more than "
                       f"{MAX_SIDE_PX} pixels a side")
        elif wall.cabinets is not None:
            width_px, height_px = wall.cabinets.resolution_px
            if max(width_px, height_px) > MAX_SIDE_PX:
                yield (("walls", i, "cabinets"),
                       f"{width_px} × {height_px} px: more than {MAX_SIDE_PX} pixels a side")


def _wall_geometry(config: StageConfig) -> Iterator[Found]:
    from stage.core.config.wall_geometry import wall_sections

    viewpoint = np.asarray(config.render.outer.viewpoint_m, dtype=float)
    for i, wall in enumerate(config.walls):
        if isinstance(wall, CurvedWall):
            sweep = wall.arc.start_deg - wall.arc.end_deg
            chord = 2 * wall.arc.radius_m * math.sin(math.radians(sweep / wall.columns) / 2)
            if chord < MIN_EDGE_M:
                yield ("walls", i, "columns"), f"cabinet columns are {chord * 1000:.1f} mm wide: degenerate"
                continue
        else:
            c = wall.corners
            ll, lr, ul = (np.asarray(v, dtype=float) for v in (c.lower_left, c.lower_right, c.upper_left))
            right, up = lr - ll, ul - ll
            if np.linalg.norm(right) < MIN_EDGE_M or np.linalg.norm(up) < MIN_EDGE_M:
                yield ("walls", i, "corners"), "degenerate wall: zero width or height (corners coincide)"
                continue
            cos = float(np.dot(right, up) / (np.linalg.norm(right) * np.linalg.norm(up)))
            angle = math.degrees(math.acos(max(-1.0, min(1.0, cos))))
            if abs(angle - 90.0) > RIGHT_ANGLE_TOLERANCE_DEG:
                yield (
                    ("walls", i, "corners", "upper_left"),
                    f"corners are not at a right angle: {angle:.2f}° at lower_left "
                    f"(tolerance ±{RIGHT_ANGLE_TOLERANCE_DEG}°)",
                )
                continue
        sections = wall_sections(wall)
        behind = [s for s in sections if float(np.dot(s.normal, viewpoint - s.lower_left)) <= 0.0]
        if behind:
            hint = "swap lower_left and lower_right" if not isinstance(wall, CurvedWall) else "swap start_deg/end_deg"
            yield (
                ("walls", i),
                f"wall faces away from the stage viewpoint {list(viewpoint)} "
                f"({len(behind)} of {len(sections)} sections): corners must be given as seen from inside; {hint}",
            )


def _output_regions(config: StageConfig) -> Iterator[Found]:
    from stage.core.config.wall_geometry import wall_resolution_px

    nodes = {n.name: n for n in config.nodes}
    placed: dict[tuple[str, str], list[tuple[int, tuple[int, int, int, int]]]] = {}
    for i, wall in enumerate(config.walls):
        node = nodes.get(wall.output.node)
        if node is None:
            continue
        outputs = {o.name: o for o in node.outputs}
        out = outputs.get(wall.output.output) if wall.output.output else node.outputs[0]
        if out is None:
            continue
        w, h = wall_resolution_px(wall)
        x, y = wall.output.offset_px
        ow, oh = out.resolution_px
        if x + w > ow or y + h > oh:
            yield (
                ("walls", i, "output"),
                f"wall image {w}×{h} px at [{x}, {y}] does not fit output {node.name}/{out.name} ({ow}×{oh} px)",
            )
        rect = (x, y, w, h)
        for j, other in placed.get((node.name, out.name), []):
            ox, oy, ow2, oh2 = other
            if x < ox + ow2 and ox < x + w and y < oy + oh2 and oy < y + h:
                yield (
                    ("walls", i, "output", "offset_px"),
                    f"overlaps wall {config.walls[j].name!r} on output {node.name}/{out.name}",
                )
        placed.setdefault((node.name, out.name), []).append((i, rect))


def _endpoints(config: StageConfig) -> Iterator[Found]:
    named = [(("endpoints", k), getattr(config.endpoints, k)) for k in type(config.endpoints).model_fields]
    named.append((("control", "endpoint"), config.control.endpoint))
    named += [(("cluster", k), getattr(config.cluster, k)) for k in ("frames", "ready")]
    seen: dict[int, tuple[Any, ...]] = {}
    for loc, endpoint in named:
        problem = endpoint_problem(endpoint)
        if problem:
            yield loc, problem
            continue
        hp = endpoint_port(endpoint)
        if hp is None:
            continue
        port = hp[1]
        if port in seen:
            yield loc, f"TCP port {port} is also used by {'.'.join(seen[port])}"
        else:
            seen[port] = loc


def _ports(config: StageConfig) -> Iterator[Found]:
    """Two UDP listeners on one port (multicast sources on different groups may share a port)."""
    users: dict[int, list[tuple[tuple[Any, ...], str | None]]] = {}
    users.setdefault(config.control.osc_port, []).append((("control", "osc_port"), None))
    for i, source in enumerate(config.sources):
        if isinstance(source, FreeDSource | OpenTrackIOSource):
            group = None
            if isinstance(source, OpenTrackIOSource) and ipaddress.ip_address(source.address).is_multicast:
                group = source.address
            loc = ("sources", i, "port")
            for other_loc, other_group in users.get(source.port, []):
                if group is None or other_group is None or group == other_group:
                    yield loc, f"UDP port {source.port} is also used by {_dotted(other_loc)}"
                    break
            users.setdefault(source.port, []).append((loc, group))


def _dotted(loc: tuple[Any, ...]) -> str:
    return format_loc(loc)


def _files(config: StageConfig, base_dir: Path) -> Iterator[Found]:
    for i, source in enumerate(config.sources):
        if isinstance(source, ReplaySource) and not (base_dir / source.take).is_file():
            yield ("sources", i, "take"), f"take file not found: {os.path.normpath(base_dir / source.take)}"
    if config.scene is not None and not (base_dir / config.scene).is_file():
        yield ("scene",), f"scene file not found: {os.path.normpath(base_dir / config.scene)}"


def _luts(config: StageConfig, base_dir: Path) -> Iterator[Found]:
    """Each wall's ``color.lut`` must be a valid 3D ``.cube`` file. A good one's path is replaced by its absolute
    path, so renderers need not know the config's folder."""
    from stage.core.color.cube_lut import LUTError, load_cube

    for i, wall in enumerate(config.walls):
        if wall.color.lut is None:
            continue
        path = os.path.normpath(base_dir / wall.color.lut)
        try:
            load_cube(path)
        except LUTError as exc:
            yield ("walls", i, "color", "lut"), str(exc)
        else:
            wall.color.lut = os.path.abspath(path)


def _color_management(config: StageConfig, base_dir: Path) -> Iterator[Found]:
    """The OCIO config loads, and every colour space, display, view and look named exists (each problem names the
    valid choices). A loaded config's path is replaced by its absolute path (or kept as an ``ocio://`` URI). Walls
    choose either the built-in chain or OCIO, never both."""
    from stage.core.color.ocio import (
        DisplayView,
        OcioError,
        check_colorspace,
        check_names,
        check_working_space,
        display_processor,
        load_config,
        look_processor,
        resolve_config_ref,
    )
    from stage.core.config.color import BUILTIN_CHAIN_FIELDS, OCIO_FIELDS

    cm = config.color
    if cm.ocio_config is None:
        if cm.working_space is not None:
            yield ("color", "working_space"), "needs color.ocio_config (an OCIO config to look it up in)"
        for i, wall in enumerate(config.walls):
            for key in OCIO_FIELDS:
                if getattr(wall.color, key) is not None:
                    yield ("walls", i, "color", key), "needs color.ocio_config (the built-in chain has no displays)"
        for i, camera in enumerate(config.cameras):
            if camera.inner_look is not None:
                yield ("cameras", i, "inner_look"), "needs color.ocio_config (the built-in chain has no looks)"
        for i, card in enumerate(config.render.light_cards):
            if card.color_space is not None:
                yield ("render", "light_cards", i, "color_space"), "needs color.ocio_config"
        return
    ref = resolve_config_ref(cm.ocio_config, base_dir)
    try:
        ocio = load_config(ref)
    except OcioError as exc:
        yield ("color", "ocio_config"), str(exc)
        return
    cm.ocio_config = ref
    problem = check_working_space(ocio, cm.working_space)
    if problem:
        yield ("color", "working_space"), problem
    for i, wall in enumerate(config.walls):
        for key in BUILTIN_CHAIN_FIELDS:
            if key in wall.color.model_fields_set:
                yield ("walls", i, "color", key), ("has no effect with color.ocio_config (the wall's OCIO display "
                                                   "and view choose the encoding): remove it")
        selection = DisplayView(wall.color.display, wall.color.view, wall.color.look)
        found = check_names(ocio, selection)
        for key, problem in found.items():
            yield ("walls", i, "color", key), problem
        if not found and not problem:
            try:  # builds the processor: a FileTransform's missing or bad LUT file shows up here
                display_processor(ref, cm.working_space, selection, wall.color.lut, wall.color.lut_interpolation)
            except OcioError as exc:
                yield ("walls", i, "color"), str(exc)
    for i, card in enumerate(config.render.light_cards):
        if card.color_space is not None:
            bad = check_colorspace(ocio, card.color_space)
            if bad:
                yield ("render", "light_cards", i, "color_space"), bad
    for i, camera in enumerate(config.cameras):
        if camera.inner_look is not None:
            found = check_names(ocio, DisplayView(look=camera.inner_look))
            if "look" in found:
                yield ("cameras", i, "inner_look"), found["look"]
            elif not problem:
                try:
                    look_processor(ref, cm.working_space, camera.inner_look)
                except OcioError as exc:
                    yield ("cameras", i, "inner_look"), str(exc)


def _subnets(config: StageConfig) -> Iterator[Found]:
    for i, subnet in enumerate(config.control.allowed_clients):
        try:
            ipaddress.ip_network(subnet, strict=False)
        except ValueError:
            yield ("control", "allowed_clients", i), f"not a subnet: {subnet!r} (expected CIDR, e.g. 10.0.0.0/24)"
    try:
        ipaddress.ip_address(config.control.osc_bind)
    except ValueError:
        yield ("control", "osc_bind"), f"not an IP address: {config.control.osc_bind!r}"
