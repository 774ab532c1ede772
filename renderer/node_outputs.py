"""The GL side of a render node: its outputs (windows or offscreen framebuffers) and how one frame is drawn.

Headless, one EGL context holds one :class:`~renderer.gl.stage_renderer.StageRenderer` and a
:class:`~renderer.gl.resources.Framebuffer` per output (RGBA8, or RGB10_A2 for a 10-bit output: ``bit_depth``).
Windowed, every output is a glfw window with its own context (asking the display for 10 bits per channel for a
10-bit output); the windows' contexts are not shared (``renderer.gl.window`` has no share option), so each window
has its own renderer and renders the inner frusta itself. A frame is assembled exactly like :func:`renderer.offline.
render_frame` (same views, ``WallFrame``, light cards and outer cube map size), so a node's wall pixels equal an
offline render of the same pose.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from renderer.frame import Frame, FrameBuilder
from renderer.gl import GLContext, create_context
from renderer.gl.scene_geometry import PreparedScene
from renderer.gl.stage_renderer import StageRenderer, outer_face_size
from renderer.gl.wall_pass import MAX_CAMERAS
from renderer.views import CameraState
from stage.core.color.bit_depth import wall_needs_high_bit_depth, walls_output_bits
from stage.core.color.ocio import OcioError
from stage.core.config.scene import SceneConfig
from stage.core.config.stage import NodeOutput, StageConfig
from stage.core.config.wall_geometry import wall_resolution_px
from stage.core.config.walls import Wall
from stage.core.live import LiveState, display_views

log = logging.getLogger(__name__)


_GL = None


def _gl():
    """``OpenGL.GL``, imported on first use (after a context provider chose PyOpenGL's platform) and then kept:
    a function-level import costs a few microseconds on every call of the per-frame path."""
    global _GL
    if _GL is None:
        from OpenGL import GL

        _GL = GL
    return _GL


class NodeSetupError(RuntimeError):
    """The config gives this node nothing sensible to draw (unknown node, wall on an unknown output)."""


@dataclass
class Output:
    """One output: a window (``context`` set, draws to its default framebuffer) or an offscreen framebuffer."""

    name: str
    size_px: tuple[int, int]
    walls: list[tuple[Wall, tuple[int, int]]] = field(default_factory=list)
    """Each wall with its top-left pixel offset inside the output."""
    framebuffer: object | None = None
    window: GLContext | None = None
    bits: int = 8
    """Bits per colour channel of the signal (``nodes[].outputs[].bit_depth`` resolved: 8 or 10)."""

    def origin_gl(self, wall: Wall, offset_px: tuple[int, int]) -> tuple[int, int]:
        """GL viewport origin (bottom-left) of a wall whose top-left is at ``offset_px``."""
        return offset_px[0], self.size_px[1] - offset_px[1] - wall_resolution_px(wall)[1]

    def bind(self) -> None:
        GL = _gl()  # noqa: N806 - the module keeps its GL name
        if self.framebuffer is not None:
            self.framebuffer.bind()
        else:
            GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
            GL.glViewport(0, 0, *self.size_px)
        GL.glClearColor(0.0, 0.0, 0.0, 1.0)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT)

    def read(self) -> np.ndarray:
        """The output's image as drawn (windows: the back buffer, so call before swapping), RGBA, row 0 top:
        uint8 for an 8-bit output, uint16 (0–65535) for a 10-bit one."""
        from renderer.gl.resources import read_pixels

        if self.framebuffer is not None:
            return self.framebuffer.read()
        return read_pixels(*self.size_px, dtype=np.uint16 if self.bits > 8 else np.uint8)


def output_bit_depths(config: StageConfig, specs: list[NodeOutput], by_output: dict, live: LiveState) -> dict[str, int]:
    """Bits per channel of each output (``bit_depth``; ``auto``: 10 when a wall on it starts with an HDR signal,
    under the live display/view where the stage has an OCIO config)."""
    views = display_views(live)
    return {o.name: walls_output_bits(o.bit_depth, [w for w, _ in by_output[o.name]], config.color, views)
            for o in specs}


def node_walls(config: StageConfig, node: str) -> dict[str, list[tuple[Wall, tuple[int, int]]]]:
    """The node's walls grouped by output name (a wall without ``output.output`` goes to the first output)."""
    spec = next((n for n in config.nodes if n.name == node), None)
    if spec is None:
        raise NodeSetupError(f"no node {node!r} in the config (nodes: {', '.join(n.name for n in config.nodes)})")
    groups: dict[str, list[tuple[Wall, tuple[int, int]]]] = {o.name: [] for o in spec.outputs}
    for wall in config.walls:
        if wall.output.node != node:
            continue
        name = wall.output.output or spec.outputs[0].name
        if name not in groups:
            raise NodeSetupError(f"wall {wall.name!r}: node {node!r} has no output {name!r}")
        groups[name].append((wall, tuple(wall.output.offset_px)))
    return groups


class RenderGroup:
    """One GL context, its stage renderer and the outputs it draws."""

    def __init__(self, context: GLContext, config: StageConfig, scene: SceneConfig, walls: list[Wall],
                 outputs: list[Output]) -> None:
        self.context = context
        self.outputs = outputs
        layers = min(MAX_CAMERAS, max(1, len(config.cameras)))
        self.renderer = StageRenderer(scene, walls, config.render.inner.resolution_px, layers,
                                      outer_face_size(list(config.walls), config.render.outer.resolution_scale),
                                      config.color, config.render.wall_cache)

    def close(self) -> None:
        self.context.make_current()
        for out in self.outputs:
            if out.framebuffer is not None:
                out.framebuffer.delete()
        self.renderer.delete()


class NodeRenderer:
    """Everything GL of one node. ``display`` is ``headless`` or ``windowed`` (resolve ``auto`` before)."""

    def __init__(self, config: StageConfig, scene: SceneConfig, node: str, display: str, live: LiveState) -> None:
        self.config, self.node, self.display, self.scene = config, node, display, scene
        spec = next(n for n in config.nodes if n.name == node)
        by_output = node_walls(config, node)
        self.groups: list[RenderGroup] = []
        self.bits = output_bit_depths(config, spec.outputs, by_output, live)
        self._warned_bits: set[tuple[str, str]] = set()
        try:
            if display == "headless":
                self._headless(spec.outputs, by_output, scene)
            else:
                self._windowed(spec.outputs, by_output, scene)
            self.gl_renderer = self.groups[0].context.info().renderer
        except BaseException:
            self.close()
            raise
        self.walls = [w for walls in by_output.values() for w, _ in walls]
        self.builder = FrameBuilder(config)
        self.live = live

    def _headless(self, specs: list[NodeOutput], by_output: dict, scene: SceneConfig) -> None:
        from renderer.gl.resources import Framebuffer

        context = create_context("headless")
        outputs = [Output(o.name, tuple(o.resolution_px), by_output[o.name], bits=self.bits[o.name]) for o in specs]
        walls = [w for o in outputs for w, _ in o.walls]
        try:
            group = RenderGroup(context, self.config, scene, walls, outputs)
        except BaseException:
            context.close()
            raise
        self.groups.append(group)
        for out in outputs:
            out.framebuffer = Framebuffer(*out.size_px, "rgb10_a2" if out.bits > 8 else "rgba8", depth=False)

    def _windowed(self, specs: list[NodeOutput], by_output: dict, scene: SceneConfig) -> None:
        for index, o in enumerate(specs):
            bits = self.bits[o.name]
            window = create_context("windowed", size=tuple(o.resolution_px), title=f"{self.node} {o.name}",
                                    monitor=o.monitor, vsync=index == len(specs) - 1, color_bits=bits)
            size = window.framebuffer_size
            if size != tuple(o.resolution_px):
                log.warning("output %s: framebuffer is %dx%d, config says %dx%d", o.name, *size, *o.resolution_px)
            if window.color_bits < bits:
                log.warning("output %s: the display gave a %d-bit framebuffer for a %d-bit output: HDR walls on it "
                            "will band (X needs a depth-30 screen: DefaultDepth 24 → 30)", o.name, window.color_bits,
                            bits)
            out = Output(o.name, size, by_output[o.name], window=window, bits=min(bits, window.color_bits))
            try:
                self.groups.append(RenderGroup(window, self.config, scene, [w for w, _ in out.walls], [out]))
            except BaseException:
                window.close()
                raise

    @property
    def outputs(self) -> list[Output]:
        return [o for g in self.groups for o in g.outputs]

    def apply_state(self, live: LiveState, scene: SceneConfig | PreparedScene | None = None) -> None:
        """Take a new live state, and a new scene when it changed (a :class:`PreparedScene` only uploads); both
        are used from the next :meth:`draw` on."""
        self.live = live
        self._check_bits(live)
        if scene is not None:
            self.scene = scene.config if isinstance(scene, PreparedScene) else scene
            for group in self.groups:
                group.context.make_current()
                group.renderer.set_scene(scene)

    def _check_bits(self, live: LiveState) -> None:
        """Warn (once per output and wall) when a live display switch sends an HDR signal over an 8-bit output:
        the output's depth is chosen when the node starts."""
        views = display_views(live)
        for out in self.outputs:
            for wall, _ in out.walls:
                key = (out.name, wall.name)
                if out.bits > 8 or key in self._warned_bits:
                    continue
                try:
                    hdr = wall_needs_high_bit_depth(wall.color, self.config.color, views.get(wall.name))
                except OcioError:  # advisory only: a config that stopped loading never stops the frame loop
                    continue
                if hdr:
                    self._warned_bits.add(key)
                    log.warning("wall %s now sends an HDR signal over 8-bit output %s: it will band until the node "
                                "restarts (bit_depth: auto) or the output is set to bit_depth: 10", wall.name, out.name)

    def frame(self, cameras: list[CameraState], time_s: float) -> Frame:
        """This node's frame of ``cameras`` at scene time ``time_s`` (as many inner frusta as the inner target has
        layers; the highest priorities win)."""
        return self.builder.build(self.scene, self.live, cameras, time_s, self.groups[0].renderer.inner.layers)

    def draw(self, cameras: list[CameraState], time_s: float = 0.0) -> Frame:
        """Draw one frame into every output (not yet presented: see :meth:`present`); returns what was drawn."""
        frame = self.frame(cameras, time_s)
        for group in self.groups:
            if len(self.groups) > 1:
                group.context.make_current()
            group.renderer.prepare(frame)
            for out in group.outputs:
                out.bind()
                for wall, offset in out.walls:
                    group.renderer.draw_frame_wall(wall.name, out.origin_gl(wall, offset), frame)
        return frame

    def present(self) -> None:
        """Swap every window (the vsync'd one last), or ``glFinish`` headless."""
        if self.display == "headless":
            _gl().glFinish()
            return
        for group in self.groups:
            if len(self.groups) > 1:
                group.context.make_current()  # glfw on EGL swaps only the calling thread's current context
            group.context.swap()

    def finish(self) -> None:
        """Wait until the GPU has drawn every output (``glFinish`` in every context), without presenting."""
        for group in self.groups:
            if len(self.groups) > 1:
                group.context.make_current()
            _gl().glFinish()

    def swap_shown(self) -> int:
        """Swap every window that is shown (the vsync'd one last) and return how many; a minimised window is
        skipped (:meth:`renderer.gl.window.GLFWWindowContext.is_hidden`), so it never holds the frame up.
        Windowed only."""
        swapped = 0
        for group in self.groups:
            if not group.context.is_hidden():
                if len(self.groups) > 1:
                    group.context.make_current()
                group.context.swap()
                swapped += 1
        return swapped

    @property
    def swap_interval(self) -> int:
        """The swap interval of the last window swapped (the vsync'd one), 0 headless."""
        return 0 if self.display == "headless" else self.groups[-1].context.swap_interval

    def images(self) -> dict[str, np.ndarray]:
        """Every output's current image by output name (call between :meth:`draw` and :meth:`present`)."""
        result = {}
        for group in self.groups:
            group.context.make_current()
            for out in group.outputs:
                result[out.name] = out.read()
        return result

    def poll_events(self) -> bool:
        """Process window events; True when a window asked to close."""
        if self.display == "headless":
            return False
        self.groups[0].context.poll_events()
        return any(g.context.should_close() for g in self.groups)

    def close(self) -> None:
        for group in self.groups:
            try:
                group.close()
            finally:
                group.context.close()
        self.groups = []


def frame_record(frame: Frame, cameras: list[CameraState], state_rev: int) -> dict:
    """The inputs of a drawn frame as JSON: enough to render it again with ``stage render`` (scene time, every
    camera's pose and lens, the live-state revision)."""
    return {
        "time_s": frame.time_s,
        "state_rev": state_rev,
        "cameras": [{"camera": c.camera, "position_m": list(c.position_m), "rotation_deg": list(c.rotation_deg),
                     "focal_length_mm": c.focal_length_mm, "sensor_mm": list(c.sensor_mm),
                     "entrance_pupil_m": c.entrance_pupil_m, "priority": c.priority} for c in cameras],
    }


def _replace_atomically(final: Path, write) -> None:
    tmp = final.with_name(f".{final.name}.tmp")
    write(tmp)
    os.replace(tmp, final)


SNAPSHOT_DIGITS = 4
"""Snapshot numbers are zero-padded to this many digits (``0001``), like an image sequence's frame numbers."""


def snapshot_path(directory: Path, node: str, name: str, count: int, suffix: str) -> Path:
    """``DIR/<node>-<name>.<count, 4 digits>.<suffix>``: snapshot ``count`` (from 1) of output ``name`` (or
    ``frame`` for the frame record), so every SIGUSR1 keeps its own files."""
    return directory / f"{node}-{name}.{count:0{SNAPSHOT_DIGITS}d}.{suffix}"


def _link_latest(numbered: Path, latest: Path) -> None:
    """``latest`` becomes (atomically) the same file as ``numbered``: a hard link, or a copy where links fail."""
    def link(tmp: Path) -> None:
        tmp.unlink(missing_ok=True)
        try:
            os.link(numbered, tmp)
        except OSError:
            shutil.copyfile(numbered, tmp)

    _replace_atomically(latest, link)


def write_snapshots(directory: Path, node: str, images: dict[str, np.ndarray], count: int,
                    record: dict | None = None) -> None:
    """Snapshot number ``count``: every output as ``<node>-<output>.NNNN.png`` (RGB; 16-bit for a 10-bit output)
    and, when given, the frame's inputs as ``<node>-frame.NNNN.json`` (:func:`frame_record`,
    :func:`snapshot_path`), each written to a temporary file and renamed, so no snapshot overwrites another. The
    unnumbered ``<node>-<output>.png`` and ``<node>-frame.json`` are then linked to the newest (for tools that
    watch one file, like ``stage demo``); the log line names the number (so a watcher can wait for the N-th)."""
    from PIL import Image

    from stage.core.color.png16 import encode_png16

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, image in images.items():
        path = snapshot_path(directory, node, name, count, "png")
        if image.dtype == np.uint16:  # a 10-bit output: a 16-bit PNG (Pillow cannot write 16-bit RGB)
            _replace_atomically(path, lambda tmp, image=image: tmp.write_bytes(encode_png16(image)))
        else:
            rgb = Image.fromarray(np.ascontiguousarray(image[:, :, :3]), "RGB")
            _replace_atomically(path, lambda tmp, rgb=rgb: rgb.save(tmp, "PNG"))
        written.append((path, directory / f"{node}-{name}.png"))
    if record is not None:
        text = json.dumps(record, indent=2) + "\n"
        path = snapshot_path(directory, node, "frame", count, "json")
        _replace_atomically(path, lambda tmp: tmp.write_text(text))
        written.append((path, directory / f"{node}-frame.json"))
    for numbered, latest in written:
        _link_latest(numbered, latest)
    log.info("snapshot #%d: %d output(s) written to %s", count, len(images), directory)
