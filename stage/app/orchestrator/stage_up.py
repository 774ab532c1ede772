"""``stage up``: the orchestrator's main loop.

One thread, one ``zmq.Poller`` over the control socket (:mod:`.control`), the OSC server's UDP socket, the
render-stats SUB (bound on ``endpoints.render_stats``; nodes connect) and the tracking daemon's ``stats`` topic
(SUB connected to ``endpoints.pose``). Every iteration also publishes live state (:mod:`.state_pub`), ticks the
supervisor (:mod:`.supervisor`: restarts) and the watchdog (:mod:`.watchdog`: hung children), schedules the
live-state journal (:mod:`.journal`) and runs the callbacks of finished disk jobs (:mod:`.disk`: presets and the
journal are written on a worker thread, never in the loop). Per iteration the work is bounded: at most
``MAX_BATCH`` datagrams or messages per socket.

At start it takes the state folder's lock, kills what a SIGKILLed predecessor left running, removes leftover
temporary files and config copies (:mod:`.runlock`) and restores the journal (unless ``fresh``).
:meth:`Orchestrator.run` stops on SIGINT or SIGTERM, on ``stage down`` or after ``duration_s``; every child is
stopped before it returns, the journal is written a last time and the running config copy is removed, so nothing
is left behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import zmq

from stage.app.orchestrator import children as ch
from stage.app.orchestrator.control import ControlServer, Request
from stage.app.orchestrator.disk import DiskWorker
from stage.app.orchestrator.files import remove_temp_files
from stage.app.orchestrator.handlers import handle, watchdog_policy
from stage.app.orchestrator.health import Health
from stage.app.orchestrator.journal import JournalKeeper
from stage.app.orchestrator.osc_server import OscServer
from stage.app.orchestrator.output_warnings import change_warnings
from stage.app.orchestrator.runlock import LockedError, RunLock, remove_stale_running_copies
from stage.app.orchestrator.state_pub import StatePublisher
from stage.app.orchestrator.store import StateStore
from stage.app.orchestrator.supervisor import ChildSpec, Supervisor
from stage.app.orchestrator.watchdog import hung_for
from stage.core.config.loader import load_scene_config, load_stage_config
from stage.core.config.paths import scene_file, stage_files
from stage.core.config.stage import StageConfig
from stage.core.keys import ENV as KEYS_ENV
from stage.core.keys import (
    SERVER,
    KeysError,
    default_dir,
    ensure_keys,
    load_pair,
    secure,
    start_authenticator,
    stop_authenticator,
)
from stage.core.live import LiveState
from stage.core.scene.catalog import SceneChecks, scene_candidates
from stage.core.sockets import drain
from stage.core.wire.cluster_stats import CLUSTER_STATS_TOPIC
from stage.core.wire.pose import STATS_TOPIC
from stage.core.wire.render_stats import RENDER_TOPIC_PREFIX

log = logging.getLogger(__name__)

MAX_POLL_S = 0.1
MAX_BATCH = 256
"""Messages taken from one stats socket per loop iteration (the rest wait for the next one)."""
WATCHDOG_EVERY_S = 0.25
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
    log_dir: Path | None = None
    """Process logs (default ``<stage folder>/logs``: :func:`stage.core.config.paths.stage_folder`)."""
    presets_dir: Path | None = None
    """Presets, the live-state journal and the run lock (default ``<stage folder>/presets``)."""
    snapshot_dir: Path | None = None
    frame_log: Path | None = None
    """Frame lock: the clock and every local node append their frame logs here (docs/cluster.md)."""
    fresh: bool = False
    """Start from the config's values instead of the journal of the last run."""
    keys_dir: Path | None = None
    """CURVE keys folder (default :func:`stage.core.keys.default_dir`)."""


def scene_list(config_file: Path, config: StageConfig, chosen: str | None) -> tuple[str | None, list[str]]:
    """The starting scene (absolute path: ``chosen`` as given or beside the config, else the config's) and every
    scene file in its folder (the ``stage scene`` choices, not loaded yet). Raises ``ConfigError`` for a broken start
    scene."""
    path = scene_file(config_file, config.scene, chosen)
    if path is None:
        return None, []
    first = Path(os.path.abspath(path))
    # only the start scene; the others are checked when selected (stage.core.scene.catalog)
    load_scene_config(first, config.color)
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
        self.files = stage_files(self.config_file, self.config.files.folder)
        self.log_dir = Path(options.log_dir or self.files["logs"])
        presets = Path(options.presets_dir or self.files["presets"])
        self.store = StateStore(self.config, scenes, LiveState.from_config(self.config, scene=scene), presets,
                                scene_base=self.files["folder"])
        self.scene_checks = SceneChecks(self.config.color)  # other scenes against this stage's OCIO config
        self.store.check_scene = self.scene_checks.problem
        self.store.config_file = self.config_file
        self.health = Health([n.name for n in self.config.nodes])
        self.watchdog = watchdog_policy(self.config)
        self.errors: list[str] = []
        self.stop_requested = False
        self.pending_down: list[Request] = []
        self.started_at = time.monotonic()
        self.running = ch.RunningConfig(self.config_file)
        self.lock = RunLock(presets)
        try:
            self.lock.acquire()
        except LockedError as exc:
            raise UpError(str(exc)) from None
        except OSError as exc:
            raise UpError(f"cannot use the presets folder {presets}: {exc.strerror or exc} (use --presets)") from None
        self.disk = DiskWorker()
        self._sockets: list[object] = []
        self.context: zmq.Context | None = None
        self.auth = None
        try:
            self.orphans = self.lock.sweep_orphans()
            for orphan in self.orphans:
                self.error(f"killed {orphan} left running by a stopped orchestrator")
            remove_temp_files(presets)
            remove_stale_running_copies(self.config_file)
            self.journal = JournalKeeper(presets, self.disk, self.config_file)
            self._restore()
            self.store.disk = self.disk
            self.store.add_listener(lambda _changes, _source: self.journal.changed())
            self.context = zmq.Context()
            self._start_auth()
            self._bind()
        except BaseException as exc:
            self._close_sockets()
            self.disk.close()
            self.lock.release()
            if isinstance(exc, zmq.ZMQError):
                raise UpError(f"cannot open an endpoint of {self.config_file}: {exc}") from None
            raise
        self.supervisor = Supervisor(self.log_dir, refresh=self._spec, on_event=self.error)
        self._next_status = 0.0
        self._next_watch = 0.0
        self._recorded: dict[str, int] = {}
        self._poller = self._build_poller()

    def _restore(self) -> None:
        """Take over the journal of the last run (unless ``fresh``); the first write then confirms it."""
        self.journal.changed()
        if self.options.fresh:
            log.info("fresh start: live state from %s (journal %s replaced)", self.config_file, self.journal.path)
            return
        journal = self.journal.load()
        if journal is None:
            return
        problems = self.store.restore(journal)
        for line in problems:
            log.warning("journal %s: not restored: %s", self.journal.path, line)
        saved = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(journal.saved_at))
        self.journal.restored = {"saved_at": journal.saved_at, "rev": journal.rev, "not_restored": problems}
        log.info("restored the live state saved %s (rev %d, %d undo steps) from %s (--fresh starts from the config)",
                 saved, journal.rev, len(self.store.undo_history()), self.journal.path)

    def _start_auth(self) -> None:
        """Keys (made on first use) and the ZAP authenticator of the control endpoint."""
        directory = self.options.keys_dir or default_dir()
        try:
            ensure_keys(directory)
            self.server_keys = load_pair(directory, SERVER)
            self.auth = start_authenticator(self.context, directory)
        except KeysError as exc:
            raise UpError(str(exc)) from None
        self.keys_dir = directory

    # ---- set-up ---------------------------------------------------------------------------------------------

    def _bind(self) -> None:
        cfg = self.config
        control = self.options.control or cfg.control.endpoint
        osc_port = self.options.osc_port if self.options.osc_port is not None else cfg.control.osc_port
        try:
            self.control = self._keep(ControlServer(self.context, control, self.server_keys))
        except zmq.ZMQError as exc:
            raise UpError(f"cannot bind the control endpoint {control}: {exc} (is another `stage up` running? "
                          "use --control)") from None
        try:
            self.osc = self._keep(OscServer(self.store, cfg.control.osc_bind, osc_port, cfg.control.allowed_clients,
                                            reply_clients=cfg.control.osc_reply_clients))
            self.osc.warnings = lambda changed: change_warnings(self.config, self.store.state, self.health, changed)
        except OSError as exc:
            raise UpError(f"cannot open OSC port {cfg.control.osc_bind}:{osc_port}: {exc.strerror} "
                          "(use --osc-port)") from None
        period = 1.0 / cfg.render.target_fps
        try:
            self.state_pub = self._keep(StatePublisher(self.context, cfg.endpoints.state, self.store, period,
                                                       self.keys_dir))
            self.render_sub = self._keep(self.context.socket(zmq.SUB))
            self.render_sub.setsockopt(zmq.LINGER, 0)
            self.render_sub.setsockopt(zmq.SUBSCRIBE, RENDER_TOPIC_PREFIX.encode())
            secure(self.render_sub, cfg.endpoints.render_stats, server=True, directory=self.keys_dir)
            self.render_sub.bind(cfg.endpoints.render_stats)
        except zmq.ZMQError as exc:
            raise UpError(f"cannot bind {cfg.endpoints.state} / {cfg.endpoints.render_stats}: {exc} "
                          "(endpoints.state and endpoints.render_stats must be free)") from None
        except KeysError as exc:
            raise UpError(str(exc)) from None
        self.endpoints = ch.Endpoints(cfg.endpoints.pose, self.state_pub.endpoint,
                                      self.render_sub.getsockopt_string(zmq.LAST_ENDPOINT))
        self._connect_tracking()
        self.cluster_sub = None
        if cfg.cluster.frame_lock:  # the frame clock's cluster/stats, for stage status and its watchdog
            self.cluster_sub = self._keep(self.context.socket(zmq.SUB))
            self.cluster_sub.setsockopt(zmq.LINGER, 0)
            self.cluster_sub.setsockopt(zmq.SUBSCRIBE, CLUSTER_STATS_TOPIC.encode())
            secure(self.cluster_sub, cfg.cluster.frames, server=False, directory=self.keys_dir)
            self.cluster_sub.connect(cfg.cluster.frames)

    def _keep(self, sock):
        self._sockets.append(sock)
        return sock

    def _connect_tracking(self) -> None:
        self.tracking_sub = self._keep(self.context.socket(zmq.SUB))
        self.tracking_sub.setsockopt(zmq.LINGER, 0)
        self.tracking_sub.setsockopt(zmq.SUBSCRIBE, STATS_TOPIC.encode())
        secure(self.tracking_sub, self.endpoints.pose, server=False, directory=self.keys_dir)
        self.tracking_sub.connect(self.endpoints.pose)

    def reconnect_tracking(self, pose_endpoint: str) -> None:
        """Follow a new ``endpoints.pose`` (after a reload): children and the stats SUB use it from now on."""
        self._sockets.remove(self.tracking_sub)
        self.tracking_sub.close(linger=0)
        self.endpoints = dataclasses.replace(self.endpoints, pose=pose_endpoint)
        self._connect_tracking()
        self._poller = self._build_poller()

    def _spec(self, name: str) -> ChildSpec | None:
        """Fresh command line of child ``name`` (render nodes start with the current scene); every child gets the
        keys folder (``$VPSTAGE_KEYS``) for its CURVE sockets off loopback."""
        if name == ch.TRACKING:
            spec = ch.tracking_spec(self.running.file, self.endpoints)
        elif name == ch.CLOCK:
            spec = ch.clock_spec(self.running.file, self.options.frame_log)
        else:
            node = ch.node_of(name, [n.name for n in self.config.nodes])
            spec = ch.node_spec(self.running.file, node, self.store.state.scene, self.endpoints,
                                self.options.display, self.options.snapshot_dir, self.options.frame_log)
        spec.env[KEYS_ENV] = str(self.keys_dir)
        return spec

    def start(self) -> None:
        """Write the running config copy and start every child."""
        self.running.write(self.config_text)
        self.supervisor.add(ChildSpec(ch.TRACKING, []))
        if self.config.cluster.frame_lock:
            self.supervisor.add(ChildSpec(ch.CLOCK, []))
        for node in self.config.nodes:
            if node.is_local:  # a node on another host runs `stage node` there (docs/cluster.md)
                self.supervisor.add(ChildSpec(ch.node_child(node.name), []))
        log.info("stage up: %s — control %s, OSC udp %s:%d, state %s, logs %s/", self.config.name,
                 self.control.endpoint, self.config.control.osc_bind, self.osc.port, self.endpoints.state,
                 self.log_dir)

    # ---- loop -----------------------------------------------------------------------------------------------

    def step(self, max_wait_s: float = MAX_POLL_S) -> None:
        """One loop iteration: wait for input (at most ``max_wait_s``), handle it, publish, supervise."""
        wait = min(max_wait_s, self.state_pub.frame_period_s)
        ready = dict(self._poller.poll(int(wait * 1000)))
        now = time.monotonic()
        if self.osc.fileno() in ready:
            self.osc.handle_readable(now)
        if self.render_sub in ready:
            for frames in drain(self.render_sub, MAX_BATCH):
                self.health.on_render(frames, now)
        if self.tracking_sub in ready:
            for frames in drain(self.tracking_sub, MAX_BATCH):
                self.health.on_tracking(frames, now)
        if self.cluster_sub is not None and self.cluster_sub in ready:
            for frames in drain(self.cluster_sub, MAX_BATCH):
                self.health.on_cluster(frames, now)
        if self.state_pub.socket in ready:
            self.state_pub.handle_subscriptions()
        if self.control.socket in ready:
            for request in self.control.receive():
                reply = handle(self, request)
                if reply is not None:
                    self.control.reply(request, reply)
        self.disk.completions()
        self.state_pub.tick(now)
        self.journal.tick(now, self._snapshot)
        self.supervisor.tick(now)
        if now >= self._next_watch:
            self._next_watch = now + WATCHDOG_EVERY_S
            self._watch(now)
        self._record_children()
        if self.on_status is not None and now >= self._next_status:
            self._next_status = now + STATUS_INTERVAL_S
            self.on_status(self.status_line(now))

    def _watch(self, now: float) -> None:
        """Kill (to restart) every running child that stopped reporting (:mod:`.watchdog`)."""
        for name, child in list(self.supervisor.children.items()):
            if child.pid is None:
                continue
            last = self.health.last_report(name)
            if hung_for(self.watchdog, now, child.started_at, last) is None:
                continue
            since = last if last is not None and last >= child.started_at else child.started_at
            what = "stats" if last is not None and last >= child.started_at else "first stats"
            self.supervisor.kill_hung(name, f"sent no {what} for {now - since:.1f} s")

    def report_ages(self, now: float) -> dict[str, float | None]:
        """Seconds since each child's newest stats (``None``: none from the running process yet)."""
        out: dict[str, float | None] = {}
        for name, child in self.supervisor.children.items():
            last = self.health.last_report(name)
            out[name] = round(now - last, 3) if last is not None and last >= child.started_at else None
        return out

    def _snapshot(self) -> tuple[LiveState, list[LiveState], int]:
        return self.store.state, self.store.undo_history(), self.store.rev

    def _record_children(self) -> None:
        pids = self.supervisor.pids()
        if pids != self._recorded:
            self._recorded = pids
            self.disk.submit(functools.partial(self.lock.record_children, pids), key="children")

    def _build_poller(self) -> zmq.Poller:
        poller = zmq.Poller()
        for sock in (self.control.socket, self.render_sub, self.tracking_sub, self.state_pub.socket,
                     self.cluster_sub):
            if sock is not None:
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
        from stage.app.orchestrator.control import ok

        stopped = self.supervisor.stop_all()
        log.info("stage down: children stopped (%s)", ", ".join(f"{k}={v}" for k, v in stopped.items()))
        self.running.remove()
        if not self.journal.write_final(self._snapshot):
            log.warning("journal %s: the last write did not finish in time", self.journal.path)
        self.disk.close()
        self.lock.clear_children()
        self.lock.release()
        for request in self.pending_down:
            self.control.reply(request, ok(stopped=stopped))
        self.pending_down.clear()
        self._close_sockets(linger_ms=500)

    def _close_sockets(self, linger_ms: int = 0) -> None:
        for sock in reversed(self._sockets):
            if isinstance(sock, ControlServer):
                sock.close(linger_ms)
            else:
                sock.close()
        self._sockets.clear()
        if self.context is not None:
            with contextlib.suppress(Exception):
                stop_authenticator(self.context)
            self.auth = None
            self.context.term()
            self.context = None
