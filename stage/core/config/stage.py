"""The stage config: the root model of ``configs/*.yaml``."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import Field, field_validator

from stage.core.config.cameras import Camera
from stage.core.config.cluster import Cluster, Priority
from stage.core.config.color import ColorManagement
from stage.core.config.lightcards import LightCard
from stage.core.config.sources import Source, check_networks
from stage.core.config.types import (
    ColorRGB,
    Finite,
    Name,
    Percent,
    PixelSize,
    Port,
    PositiveFloat,
    StrictModel,
    Vec3,
)
from stage.core.config.walls import Wall


class InnerFrustum(StrictModel):
    """The camera's own view, rendered once per camera per frame and projected onto the walls."""

    resolution_px: PixelSize = (1920, 1080)
    """Offscreen render target size ``[width, height]``."""
    overscan_pct: Percent = 10.0
    """Extra field of view around the lens's, percent of the frame size (live parameter)."""


class OuterFrustum(StrictModel):
    """Everything outside the inner frustum, for light and reflections."""

    viewpoint_m: Vec3 = (0.0, 0.0, 1.7)
    """Static viewpoint in stage metres (default: stage centre at eye height)."""
    resolution_scale: Annotated[Finite, Field(gt=0.0, le=1.0)] = 0.5
    """Outer render resolution as a fraction of the wall's LED resolution."""


class ChromaKey(StrictModel):
    """Chroma-key mode: the inner frustum filled with a key colour."""

    enabled: bool = False
    """Initial state (live parameter)."""
    color: ColorRGB = (0.0, 0.8, 0.2)
    """Key colour, scene-linear RGB."""
    marker_grid: bool = True
    """Draw a grid of tracking markers over the key colour."""
    marker_spacing_m: PositiveFloat = 0.5
    """Marker grid spacing on the wall, metres."""


class RenderSettings(StrictModel):
    """Renderer settings shared by every node."""

    inner: InnerFrustum = InnerFrustum()
    """Inner frustum."""
    outer: OuterFrustum = OuterFrustum()
    """Outer frustum."""
    soft_edge_pct: Percent = 5.0
    """Width of the blend between inner and outer frustum, percent of the inner frustum's width."""
    chroma_key: ChromaKey = ChromaKey()
    """Chroma-key mode."""
    target_fps: Annotated[Finite, Field(gt=0.0, le=480.0)] = 60.0
    """Frame rate the render nodes aim for."""
    light_cards: list[LightCard] = []
    """Light cards on the walls (live-editable)."""
    wall_cache: bool = True
    """Keep each wall's picture outside the inner frusta between frames (two images the size of the wall, about 20–32
    bytes of GPU memory per LED pixel) and draw only what the inner frusta cover each frame. ``false``: every LED
    pixel through the full wall pass every frame — less GPU memory, more work per frame. The picture is the same
    either way, bit for bit (docs/performance.md, "Colour management")."""


class Control(StrictModel):
    """Director control over OSC, and the orchestrator's control endpoint."""

    osc_bind: str = "127.0.0.1"
    """Address the OSC server listens on: loopback by default; the address of the interface facing the tablets
    (ideally a fenced control VLAN) to take director control from the network. OSC has no authentication
    (docs/reliability.md#security)."""
    osc_port: Port = 9000
    """UDP port of the OSC server."""
    allowed_clients: Annotated[list[str], Field(min_length=0)] = ["127.0.0.0/8", "::1/128"]
    """Subnets (CIDR) allowed to change anything over OSC; others are ignored and counted."""
    osc_reply_clients: list[str] = ["127.0.0.0/8", "::1/128"]
    """Subnets (CIDR) whose OSC requests may be answered with more bytes than they sent (``/stage/state``, echoes
    of other tablets' changes). Anyone else gets at most as many bytes back as it sent, so a spoofed sender address
    cannot turn the stage into a traffic amplifier. Add your tablets' subnet here."""
    endpoint: str = "tcp://127.0.0.1:5560"
    """ZeroMQ control endpoint of the orchestrator (CLI commands). Always CURVE-authenticated (``stage keys``)."""
    watchdog_s: Annotated[Finite, Field(ge=0.0, le=3600.0)] = 10.0
    """A child (render node, tracking daemon) that publishes no stats for this long is hung: it is killed and
    restarted. ``0`` turns the watchdog off."""
    watchdog_startup_s: Annotated[Finite, Field(gt=0.0, le=3600.0)] = 60.0
    """Time a (re)started child has for its first stats (GL set-up, scene loading) before the watchdog counts it
    hung."""

    _networks = field_validator("allowed_clients", "osc_reply_clients")(check_networks)


class Endpoints(StrictModel):
    """ZeroMQ endpoints (``tcp://host:port``)."""

    pose: str = "tcp://127.0.0.1:5556"
    """Tracking daemon PUB: ``pose/<camera>`` and ``stats`` topics (docs/wire-protocol.md)."""
    state: str = "tcp://127.0.0.1:5557"
    """Orchestrator PUB of live parameters to the render nodes."""
    render_stats: str = "tcp://127.0.0.1:5558"
    """Render statistics: the orchestrator binds a SUB socket here and every render node connects its PUB to it
    (topic ``render/<node>``, once a second)."""


BitDepth = Literal["auto", 8, 10]
"""Bits per colour channel of an output: 8, 10, or ``auto`` (10 when a wall on it starts with an HDR signal)."""


class NodeOutput(StrictModel):
    """One video output of a render node (a window, or an offscreen target headless)."""

    name: Name
    """Output name, unique within the node."""
    resolution_px: PixelSize
    """Output size ``[width, height]``."""
    monitor: Annotated[int, Field(ge=0)] | None = None
    """Monitor index for fullscreen; ``null`` for a window."""
    bit_depth: BitDepth = "auto"
    """Bits per colour channel of the output signal: ``8``; ``10`` (what LED processors take HDR in; a window asks
    the display for a 10-bit framebuffer, so X needs a depth-30 screen, and the node warns when it gets fewer); or
    ``auto``: 10 when a wall on this output starts with an HDR signal (built-in ``transfer: pq``, or an OCIO display
    such as ``Rec.2100-PQ - Display``), else 8. PQ on 8 bits bands (docs/color.md, "Bit depth and files")."""


def node_process_name(node: str) -> str:
    """The process name of render node ``node`` (:attr:`RenderNode.process_name`)."""
    return node if node.startswith("render") else f"render-{node}"


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback IP address (``127.0.0.0/8``, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class RenderNode(StrictModel):
    """A render process (usually one per machine/GPU)."""

    name: Name
    """Node name; walls refer to it in ``output.node``."""
    outputs: Annotated[list[NodeOutput], Field(min_length=1)]
    """Outputs of this node."""
    host: Annotated[str, Field(min_length=1, max_length=253)] = "localhost"
    """Machine the node runs on: ``localhost`` (or any loopback address) for a node ``stage up`` starts and
    supervises here; a host name or IP address for one started there with ``stage node`` (docs/cluster.md)."""
    priority: Priority | None = None
    """Scheduling priority of this node's process (``normal``, ``high``, ``realtime``); default
    ``cluster.priority``."""

    @property
    def is_local(self) -> bool:
        """True when the node runs on this machine."""
        return is_loopback_host(self.host)

    @property
    def process_name(self) -> str:
        """Name of the node's process in ``stage status`` and of its log (``logs/<process_name>.log``): the node
        name when it already starts with ``render`` (``render-1``), else ``render-<name>`` (``render-node1``) —
        never ``render-render-1``."""
        return node_process_name(self.name)


class Files(StrictModel):
    """Where a stage keeps its files: process logs, presets (with the live-state journal and the run lock) and
    takes (operator guide, "Where files go")."""

    folder: Annotated[str, Field(min_length=1)] | None = None
    """The stage folder, relative to the config file (absolute allowed); default ``<config name>.stage/`` beside
    the config. Holds ``logs/``, ``presets/`` and ``takes/``, whatever the working directory."""


class StageConfig(StrictModel):
    """A whole LED volume: walls, cameras, tracking, rendering, control."""

    name: Annotated[str, Field(min_length=1, max_length=120)]
    """Stage name, shown in status lines."""
    walls: Annotated[list[Wall], Field(min_length=1)]
    """LED walls, ceilings and floors."""
    cameras: list[Camera] = []
    """Tracked cameras."""
    sources: list[Source] = []
    """Tracking sources."""
    nodes: Annotated[list[RenderNode], Field(min_length=1)]
    """Render nodes."""
    render: RenderSettings = RenderSettings()
    """Rendering settings."""
    control: Control = Control()
    """OSC and control endpoint."""
    endpoints: Endpoints = Endpoints()
    """ZeroMQ endpoints."""
    cluster: Cluster = Cluster()
    """Frame lock across render nodes (docs/cluster.md)."""
    color: ColorManagement = ColorManagement()
    """Colour management: an OpenColorIO config and the working space (docs/color.md)."""
    files: Files = Files()
    """Where the stage's logs, presets and takes go (operator guide, "Where files go")."""
    scene: str | None = None
    """Default scene file, relative to the config file."""
    eye_height_m: Finite = 1.7
    """Nominal eye height used by default viewpoints, metres."""

    def wall(self, name: str) -> Wall:
        for wall in self.walls:
            if wall.name == name:
                return wall
        raise KeyError(name)

    def camera(self, camera_id: str) -> Camera:
        for camera in self.cameras:
            if camera.id == camera_id:
                return camera
        raise KeyError(camera_id)
