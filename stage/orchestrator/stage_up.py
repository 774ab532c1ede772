"""``stage up``: the orchestrator's main loop.

One thread, one ``zmq.Poller`` over the control socket (:mod:`.control`), the OSC server's UDP socket, the
render-stats SUB (bound on ``endpoints.render_stats``; nodes connect) and the tracking daemon's ``stats`` topic
(SUB connected to ``endpoints.pose``). Every iteration also publishes live state (:mod:`.state_pub`), ticks the
supervisor (:mod:`.supervisor`: restarts) and emits the status line. :meth:`Orchestrator.run` stops on SIGINT or
SIGTERM, on ``stage down`` or after ``duration_s``; every child is stopped before it returns, and the running
config copy is removed, so nothing is left behind.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import zmq

from stage.config.loader import load_scene_config, load_stage_config
from stage.config.paths import scene_file
from stage.config.stage import StageConfig
from stage.live import LiveState
from stage.orchestrator import children as ch
from stage.orchestrator.control import ControlServer, Request
from stage.orchestrator.handlers import handle
from stage.orchestrator.health import Health
from stage.orchestrator.osc_server import OscServer
from stage.orchestrator.state_pub import StatePublisher
from stage.orchestrator.store import StateStore
from stage.orchestrator.supervisor import ChildSpec, Supervisor
from stage.scene.catalog import SceneChecks, scene_candidates
from stage.wire.pose import STATS_TOPIC
from stage.wire.render_stats import RENDER_TOPIC_PREFIX

log = logging.getLogger(__name__)

MAX_POLL_S = 0.1
ERRORS_KEPT = 20
STATUS_INTERVAL_S = 0.5
"""How often the status callback gets a fresh line (the CLI logs only every few seconds when not on a TTY)."""


class UpError(RuntimeError):
    """The stage could not come up (an endpoint or port in use, a log directory not writable); one line."""


@dataclass
class UpOptions:
    """Everything ``stage up`` takes besides the config's own settings."""

    config: Path
    scene: str | None = None
    display: str = "auto"
    duration_s: float | None = None
    osc_port: int | None = None
    control: str | None = None
    log_dir: Path = Path("logs")
    presets_dir: Path | None = None
    snapshot_dir: Path | None = None


def scene_list(config_file: Path, config: StageConfig, chosen: str | None) -> tuple[str | None, list[str]]:
    """The starting scene (absolute path: ``chosen`` as given or beside the config, else the config's) and every
    scene file in its folder (the ``stage scene`` choices, not loaded yet). Raises ``ConfigError`` for a broken start
    scene."""
    path = scene_file(config_file, config.scene, chosen)
    if path is None:
        return None, []
    first = Path(os.path.abspath(path))
    load_scene_config(first)  # only the start scene; the others are checked when selected (stage.scene.catalog)
    scenes = scene_candidates(first)
    return scenes[0], scenes


class Orchestrator:
    """The running stage. ``run()`` for ``stage up``; ``start()``/``step()``/``shutdown()`` for callers that drive
    the loop themselves (``stage demo``)."""

    def __init__(self, options: UpOptions, on_status: Callable[[str], None] | None = None):
        self.options = options
        self.on_status = on_status
        self.config_file = Path(options.config)
        self.config: StageConfig = load_stage_config(self.config_file)  # first: it checks the file is UTF-8 text
        self.config_text = self.config_file.read_text(encoding="utf-8")
        scene, scenes = scene_list(self.config_file, self.config, options.scene)
        presets = options.presets_dir or Path("presets") / self.config_file.stem
        self.store = StateStore(self.config, scenes, LiveState.from_config(self.config, scene=scene), presets)
        self.store.check_scene = SceneChecks().problem
        self.health = Health([n.name for n in self.config.nodes])
        self.errors: list[str] = []
        self.stop_requested = False
        self.pending_down: list[Request] = []
        self.started_at = time.monotonic()
        self.running = ch.RunningConfig(self.config_file)
        self.context = zmq.Context()
        self._sockets: list[object] = []
        try:
            self._bind()
        except BaseException as exc:
            self._close_sockets()
            if isinstance(exc, zmq.ZMQError):
                raise UpError(f"cannot open an endpoint of {self.config_file}: {exc}") from None
            raise
        self.supervisor = Supervisor(options.log_dir, refresh=self._spec, on_event=self.error)
        self._next_status = 0.0
        self._poller = self._build_poller()

    # ---- set-up ---------------------------------------------------------------------------------------------

    def _bind(self) -> None:
        cfg = self.config
        control = self.options.control or cfg.control.endpoint
        osc_port = self.options.osc_port if self.options.osc_port is not None else cfg.control.osc_port
        try:
            self.control = self._keep(ControlServer(self.context, control))
        except zmq.ZMQError as exc:
            raise UpError(f"cannot bind the control endpoint {control}: {exc} (is another `stage up` running? "
                          "use --control)") from None
        try:
            self.osc = self._keep(OscServer(self.store, cfg.control.osc_bind, osc_port, cfg.control.allowed_clients))
        except OSError as exc:
            raise UpError(f"cannot open OSC port {cfg.control.osc_bind}:{osc_port}: {exc.strerror} "
                          "(use --osc-port)") from None
        period = 1.0 / cfg.render.target_fps
        try:
            self.state_pub = self._keep(StatePublisher(self.context, cfg.endpoints.state, self.store, period))
            self.render_sub = self._keep(self.context.socket(zmq.SUB))
            self.render_sub.setsockopt(zmq.LINGER, 0)
            self.render_sub.setsockopt(zmq.SUBSCRIBE, RENDER_TOPIC_PREFIX.encode())
            self.render_sub.bind(cfg.endpoints.render_stats)
        except zmq.ZMQError as exc:
            raise UpError(f"cannot bind {cfg.endpoints.state} / {cfg.endpoints.render_stats}: {exc} "
                          "(endpoints.state and endpoints.render_stats must be free)") from None
        self.endpoints = ch.Endpoints(cfg.endpoints.pose, self.state_pub.endpoint,
                                      self.render_sub.getsockopt_string(zmq.LAST_ENDPOINT))
        self._connect_tracking()

    def _keep(self, sock):
        self._sockets.append(sock)
        return sock

    def _connect_tracking(self) -> None:
        self.tracking_sub = self._keep(self.context.socket(zmq.SUB))
        self.tracking_sub.setsockopt(zmq.LINGER, 0)
        self.tracking_sub.setsockopt(zmq.SUBSCRIBE, STATS_TOPIC.encode())
        self.tracking_sub.connect(self.endpoints.pose)

    def reconnect_tracking(self, pose_endpoint: str) -> None:
        """Follow a new ``endpoints.pose`` (after a reload): children and the stats SUB use it from now on."""
        self._sockets.remove(self.tracking_sub)
        self.tracking_sub.close(linger=0)
        self.endpoints = dataclasses.replace(self.endpoints, pose=pose_endpoint)
        self._connect_tracking()
        self._poller = self._build_poller()

    def _spec(self, name: str) -> ChildSpec | None:
        """Fresh command line of child ``name`` (render nodes start with the current scene)."""
        if name == ch.TRACKING:
            return ch.tracking_spec(self.running.file, self.endpoints)
        node = name.removeprefix("render-")
        return ch.node_spec(self.running.file, node, self.store.state.scene, self.endpoints, self.options.display,
                            self.options.snapshot_dir)

    def start(self) -> None:
        """Write the running config copy and start every child."""
        self.running.write(self.config_text)
        self.supervisor.add(ChildSpec(ch.TRACKING, []))
        for node in self.config.nodes:
            self.supervisor.add(ChildSpec(ch.node_child(node.name), []))
        log.info("stage up: %s — control %s, OSC udp %s:%d, state %s, logs %s/", self.config.name,
                 self.control.endpoint, self.config.control.osc_bind, self.osc.port, self.endpoints.state,
                 self.options.log_dir)

    # ---- loop -----------------------------------------------------------------------------------------------

    def step(self, max_wait_s: float = MAX_POLL_S) -> None:
        """One loop iteration: wait for input (at most ``max_wait_s``), handle it, publish, supervise."""
        wait = min(max_wait_s, self.state_pub.frame_period_s)
        ready = dict(self._poller.poll(int(wait * 1000)))
        now = time.monotonic()
        if self.osc.fileno() in ready:
            self.osc.handle_readable(now)
        if self.render_sub in ready:
            for frames in _drain(self.render_sub):
                self.health.on_render(frames, now)
        if self.tracking_sub in ready:
            for frames in _drain(self.tracking_sub):
                self.health.on_tracking(frames, now)
        if self.state_pub.socket in ready:
            self.state_pub.handle_subscriptions()
        if self.control.socket in ready:
            for request in self.control.receive():
                reply = handle(self, request)
                if reply is not None:
                    self.control.reply(request, reply)
        self.state_pub.tick(now)
        self.supervisor.tick(now)
        if self.on_status is not None and now >= self._next_status:
            self._next_status = now + STATUS_INTERVAL_S
            self.on_status(self.status_line(now))

    def _build_poller(self) -> zmq.Poller:
        poller = zmq.Poller()
        for sock in (self.control.socket, self.render_sub, self.tracking_sub, self.state_pub.socket):
            poller.register(sock, zmq.POLLIN)
        poller.register(self.osc.fileno(), zmq.POLLIN)
        return poller

    def error(self, text: str) -> None:
        """Record an error for ``stage status`` and the status line."""
        self.errors.append(text)
        del self.errors[:-ERRORS_KEPT]

    def status_line(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        return self.health.status_line(now, self.config.name, self.supervisor.status(now), len(self.errors),
                                       self.errors[-1] if self.errors else None)

    def run(self) -> int:
        """Start, loop until stopped (signal, ``stage down``, ``duration_s``), shut down. Returns the exit code."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            end = None if self.options.duration_s is None else time.monotonic() + self.options.duration_s
            while not self.stop_requested and (end is None or time.monotonic() < end):
                self.step()
        finally:
            self.shutdown()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _on_signal(self, signum: int, _frame: object) -> None:
        log.info("signal %d: stopping the stage", signum)
        self.stop_requested = True

    def shutdown(self) -> None:
        """Stop every child, answer pending ``down`` requests, close the sockets, remove the running copy."""
        from stage.orchestrator.control import ok

        stopped = self.supervisor.stop_all()
        log.info("stage down: children stopped (%s)", ", ".join(f"{k}={v}" for k, v in stopped.items()))
        for request in self.pending_down:
            self.control.reply(request, ok(stopped=stopped))
        self.pending_down.clear()
        self.running.remove()
        self._close_sockets(linger_ms=500)

    def _close_sockets(self, linger_ms: int = 0) -> None:
        for sock in reversed(self._sockets):
            if isinstance(sock, ControlServer):
                sock.close(linger_ms)
            else:
                sock.close()
        self._sockets.clear()
        self.context.term()


def _drain(sock: zmq.Socket, limit: int = 1000) -> list[list[bytes]]:
    out = []
    for _ in range(limit):
        try:
            out.append(sock.recv_multipart(zmq.NOBLOCK))
        except zmq.Again:
            break
    return out
