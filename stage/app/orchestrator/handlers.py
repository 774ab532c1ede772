"""The orchestrator's answers to control requests (protocol: :mod:`stage.app.orchestrator.control`), the status
document and ``reload``."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stage.app.orchestrator import children as ch
from stage.app.orchestrator.control import PROTOCOL_VERSION, Request, ok, refused
from stage.app.orchestrator.osc_map import ChangeError
from stage.app.orchestrator.output_warnings import change_warnings
from stage.app.orchestrator.show import Show
from stage.app.orchestrator.supervisor import ChildSpec, SupervisorError
from stage.app.orchestrator.watchdog import WatchdogPolicy
from stage.core.config.errors import ConfigError
from stage.core.config.loader import load_stage_config
from stage.core.config.stage import StageConfig

log = logging.getLogger(__name__)

Handler = Callable[[Show, Request], "dict[str, Any] | None"]


def watchdog_policy(config: StageConfig) -> WatchdogPolicy:
    return WatchdogPolicy(config.control.watchdog_s, config.control.watchdog_startup_s)


def _processes(orch: Show, now: float) -> dict[str, dict]:
    """Supervisor status of each child plus the age of its newest stats (the watchdog's view)."""
    procs = orch.supervisor.status(now)
    for name, age in orch.report_ages(now).items():
        procs[name]["report_age_s"] = age
    return procs


def status_document(orch: Show) -> dict[str, Any]:
    """Everything ``stage status --json`` shows."""
    now = time.monotonic()
    store = orch.store
    return {
        "v": PROTOCOL_VERSION,
        "stage": orch.config.name,
        "config": str(orch.config_file),
        "pid": os.getpid(),
        "uptime_s": round(now - orch.started_at, 3),
        "control": orch.control.endpoint,
        "osc_port": orch.osc.port,
        "endpoints": {"pose": orch.endpoints.pose, "state": orch.endpoints.state,
                      "render_stats": orch.endpoints.render_stats},
        "logs": str(orch.log_dir),
        "files": {"folder": str(orch.files["folder"]), "logs": str(orch.log_dir),
                  "presets": str(orch.store.presets_dir)},
        "scene": store.scene_name,
        "scene_path": store.state.scene,
        "scenes": [Path(s).stem for s in store.scenes],
        "rev": store.rev,
        "parameters": store.parameters(),
        "presets": store.presets(),
        "processes": _processes(orch, now),
        "watchdog": {"timeout_s": orch.watchdog.timeout_s, "startup_s": orch.watchdog.startup_s},
        "journal": {"path": str(orch.journal.path), "restored": orch.journal.restored, **orch.journal.counters,
                    "last_error": orch.journal.last_error},
        "nodes": orch.health.nodes_doc(now),
        "tracking": orch.health.tracking_doc(now),
        "cluster": orch.health.cluster_doc(now),
        "stale_cameras": orch.health.stale_cameras(now),
        "counters": {
            "osc": dict(orch.osc.counters),
            "control": {"requests": orch.control.requests, "malformed": orch.control.malformed,
                        "failed": orch.control.failed},
            "state": dict(orch.state_pub.counters),
            "stats_rejects": orch.health.rejects,
            "stats_unknown_nodes": orch.health.unknown_nodes,
            "disk": dict(orch.disk.counters),
        },
        "osc_last_reject": orch.osc.last_reject,
        "errors": list(orch.errors),
        "status_line": orch.status_line(now),
    }


def reload_config(orch: Show) -> dict[str, Any]:
    """Validate the edited config and check that every child it restarts or starts can start; then apply it
    (restarting exactly the children it touches, without blocking the control loop) — or change nothing."""
    try:
        new = load_stage_config(orch.config_file)
        text = orch.config_file.read_text(encoding="utf-8")
    except ConfigError as exc:
        lines = exc.lines()
        log.warning("reload refused, the show keeps running: %s", "; ".join(lines))
        return refused(lines[0], "invalid", lines)
    except OSError as exc:
        return refused(f"{orch.config_file}: cannot read: {exc.strerror}", "invalid")
    plan = ch.reload_plan(orch.config, new)
    if plan.refused:
        line = (f"stage reload: refused, nothing changed: {', '.join(plan.refused)} changed; only a restart of "
                "`stage up` applies it (stage down, then stage up)")
        log.warning("%s", line)
        return refused(line, "invalid")
    sup = orch.supervisor
    try:  # everything that could stop a restart is checked before anything changes
        for name in [*plan.restart, *plan.start]:
            sup.check_startable(name)
    except SupervisorError as exc:
        log.warning("reload refused, nothing changed, the show keeps running: %s", exc)
        return refused(f"reload refused, nothing changed: {exc}", "failed")
    orch.config, orch.config_text = new, text
    orch.running.write(text)
    orch.scene_checks.recolor(new.color)  # scenes are checked against the new colour set-up from now on
    added = orch.store.adopt_config(new)  # new walls and cards controllable now, removed ones gone, live values kept
    orch.state_pub.send_snapshot()  # removals too reach the nodes that keep running
    orch.state_pub.frame_period_s = 1.0 / new.render.target_fps
    orch.health.set_nodes([n.name for n in new.nodes])
    orch.watchdog = watchdog_policy(new)
    if ch.TRACKING in plan.restart and new.endpoints.pose != orch.endpoints.pose:
        orch.reconnect_tracking(new.endpoints.pose)
    for name in plan.stop:
        sup.remove(name)  # SIGTERM now; the supervision tick finishes the stop (never blocks this loop)
    sup.restart({name: None for name in plan.restart})  # likewise: replacements start as the old ones exit
    try:
        for name in plan.start:
            sup.add(ChildSpec(name, []))
    except SupervisorError as exc:  # a race after the check above: the new config stays, the start is retried
        orch.error(str(exc))
        return refused(f"reload applied, but {exc}; retrying", "failed")
    log.info("reloaded %s: changed %s; restarted %s; started %s; stopped %s; needs a new `stage up`: %s; "
             "nodes on other hosts: %s", orch.config_file, plan.changed or "nothing", plan.restart or "nothing",
             plan.start or "nothing", plan.stop or "nothing", plan.needs_up_restart or "nothing",
             plan.elsewhere or "none")
    return ok(changed=plan.changed, restarted=plan.restart, started=plan.start, stopped=plan.stop,
              needs_up_restart=plan.needs_up_restart, parameters_added=sorted(added), elsewhere=plan.elsewhere)


def _set(orch: Show, req: Request) -> dict[str, Any]:
    changed = orch.store.set(req.args["param"], req.args["value"], source="cli")
    reply = ok(changed=changed, rev=orch.store.rev)
    warnings = change_warnings(orch.config, orch.store.state, orch.health, changed)
    if warnings:
        reply["warnings"] = warnings
    return reply


def _scene(orch: Show, req: Request) -> dict[str, Any]:
    return ok(changed=orch.store.set_scene(req.args["name"], source="cli"), rev=orch.store.rev)


def _preset_save(orch: Show, req: Request) -> None:
    """Written on the disk worker; answered when the file is there (or not)."""

    def done(path: Path | None, error: ChangeError | None) -> None:
        kind = "invalid" if error is not None and error.reason == "invalid" else "failed"
        orch.control.reply(req, ok(path=str(path)) if error is None else refused(str(error), kind))

    orch.store.save_preset_later(req.args["name"], done)
    return None


def _down(orch: Show, req: Request) -> None:
    log.info("stage down requested")
    orch.pending_down.append(req)
    orch.stop_requested = True
    return None


HANDLERS: dict[str, Handler] = {
    "ping": lambda orch, req: ok(stage=orch.config.name, pid=os.getpid()),
    "status": lambda orch, req: ok(**status_document(orch)),
    "set": _set,
    "scene": _scene,
    "undo": lambda orch, req: ok(changed=orch.store.undo(), rev=orch.store.rev),
    "preset_save": _preset_save,
    "preset_recall": lambda orch, req: ok(changed=orch.store.recall_preset(req.args["name"]), rev=orch.store.rev),
    "presets": lambda orch, req: ok(presets=orch.store.presets()),
    "reload": lambda orch, req: reload_config(orch),
    "down": _down,
}


def handle(orch: Show, request: Request) -> dict[str, Any] | None:
    """The reply to ``request`` (``None``: answered later). Refused changes leave the state as it was."""
    try:
        return HANDLERS[request.cmd](orch, request)
    except ChangeError as exc:
        return refused(str(exc))
    except Exception as exc:  # last resort: a bug must not take the show down: answer, log, count, keep running
        orch.control.failed += 1
        reason = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
        log.error("control request %s failed: %s", request.cmd, reason, exc_info=log.isEnabledFor(logging.DEBUG))
        return refused(f"{request.cmd}: internal error: {reason}", "failed")
