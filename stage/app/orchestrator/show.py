"""What the control handlers (:mod:`stage.app.orchestrator.handlers`) use of the running show.

The orchestrator (:class:`stage.app.orchestrator.stage_up.Orchestrator`) is this; the handlers see it through this
protocol, so they do not import the module that imports them (tests/test_layers.py forbids import cycles).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from stage.app.orchestrator import children as ch
from stage.app.orchestrator.control import ControlServer, Request
from stage.app.orchestrator.disk import DiskWorker
from stage.app.orchestrator.health import Health
from stage.app.orchestrator.journal import JournalKeeper
from stage.app.orchestrator.osc_server import OscServer
from stage.app.orchestrator.state_pub import StatePublisher
from stage.app.orchestrator.store import StateStore
from stage.app.orchestrator.supervisor import Supervisor
from stage.app.orchestrator.watchdog import WatchdogPolicy
from stage.core.config.stage import StageConfig
from stage.core.scene.catalog import SceneChecks


class Show(Protocol):
    """The running show as the control handlers see it."""

    options: Any
    """The ``stage up`` options (``UpOptions``)."""
    config_file: Path
    config: StageConfig
    config_text: str
    running: ch.RunningConfig
    store: StateStore
    health: Health
    watchdog: WatchdogPolicy
    errors: list[str]
    stop_requested: bool
    pending_down: list[Request]
    started_at: float
    disk: DiskWorker
    journal: JournalKeeper | None
    supervisor: Supervisor
    control: ControlServer
    osc: OscServer | None
    state_pub: StatePublisher
    endpoints: ch.Endpoints
    scene_checks: SceneChecks

    def error(self, text: str) -> None: ...

    def reconnect_tracking(self, pose_endpoint: str) -> None: ...

    def report_ages(self, now: float) -> dict[str, float | None]: ...

    def status_line(self, now: float | None = None) -> str: ...
