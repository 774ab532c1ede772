"""``stage demo``'s run: the stage in this process, snapshots at a few moments, then pictures and measurements.

Moments: once every render node reports stats (it is drawing), the stage runs ``duration`` seconds; at 1/4, 2/4
and 3/4 of that the nodes get SIGUSR1 and the newest pose of every camera is kept, and once the node's PNGs have
been replaced they are copied as ``preview-<k>-<node>-<output>.png``. Before the last moment exposure goes up by
0.7 EV (a live parameter, the way a tablet would change it). After the stage is down, the witness and camera views
of each moment are rendered offline (:func:`renderer.offline.render_frame`) from the kept poses and live state.
The witness pose is the last one on the stream when the snapshot was asked for; the node draws the snapshot at its
next frame, so the two can be one pose sample apart.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from stage.app.orchestrator.demo_record import Moment, PoseRecorder
from stage.app.orchestrator.demo_report import summary_text, write_report
from stage.app.orchestrator.stage_up import Orchestrator, UpOptions
from stage.core.color.ocio import resolve_config_ref
from stage.core.config.loader import read_yaml
from stage.core.config.paths import scene_file
from stage.core.wire.render_stats import RenderStats

log = logging.getLogger(__name__)

MOMENTS = 3
STARTUP_TIMEOUT_S = 30.0
SNAPSHOT_TIMEOUT_S = 5.0
EXPOSURE_STEP_EV = 0.7


class DemoError(RuntimeError):
    """The demo could not run (a node that never started); the message says where the logs are."""


def _free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_config(source: Path, workdir: Path) -> Path:
    """A copy of ``source`` with absolute file paths and free loopback endpoints, in ``workdir``."""
    data, _ = read_yaml(source)
    if data.get("scene"):
        data["scene"] = os.path.abspath(scene_file(source, data["scene"]))
    for src in data.get("sources") or []:
        if isinstance(src, dict) and isinstance(src.get("take"), str):
            src["take"] = os.path.abspath(source.parent / src["take"])
    for wall in data.get("walls") or []:
        color = wall.get("color") if isinstance(wall, dict) else None
        if isinstance(color, dict) and isinstance(color.get("lut"), str):
            color["lut"] = os.path.abspath(source.parent / color["lut"])
    management = data.get("color")
    if isinstance(management, dict) and isinstance(management.get("ocio_config"), str):
        management["ocio_config"] = resolve_config_ref(management["ocio_config"], source.parent)
    data["endpoints"] = {"pose": f"tcp://127.0.0.1:{_free_tcp_port()}", "state": "tcp://127.0.0.1:*",
                         "render_stats": "tcp://127.0.0.1:*"}
    data.setdefault("control", {})["osc_bind"] = "127.0.0.1"
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"{source.stem}-demo.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _snapshot_files(orch: Orchestrator, snap_dir: Path) -> list[Path]:
    return [snap_dir / f"{n.name}-{o.name}.png" for n in orch.config.nodes for o in n.outputs]


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def _keep(source: Path, target: Path) -> Path:
    """Copy a node snapshot out before the next one replaces it (through a temporary file and a rename)."""
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)
    return target


def run_demo(config: Path, duration_s: float, display: str, out: Path,
             on_status: Callable[[str], None] | None = None) -> dict:
    """Run the demo; returns the summary (also written to ``out/summary.json``)."""
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("preview-*.png"), out / "contact-sheet.png", out / "summary.json"]:
        old.unlink(missing_ok=True)
    work = out / ".work"
    shutil.rmtree(work, ignore_errors=True)
    snap_dir = work / "snapshots"
    options = UpOptions(config=demo_config(config, work), display=display, osc_port=0, control="tcp://127.0.0.1:*",
                        log_dir=out / "logs", presets_dir=work / "presets", snapshot_dir=snap_dir, fresh=True,
                        keys_dir=work / "keys")
    orch = Orchestrator(options, on_status=on_status)
    recorder = PoseRecorder(orch.endpoints.pose)
    history: dict[str, list[RenderStats]] = {n.name: [] for n in orch.config.nodes}
    moments: list[Moment] = []
    try:
        orch.start()
        t0 = _wait_for_nodes(orch, recorder, history, out)
        _run_moments(orch, recorder, history, moments, t0, duration_s, snap_dir, out)
    finally:
        orch.shutdown()
        recorder.close()
    summary = write_report(orch, recorder, history, moments, out, config, display, time.monotonic() - started)
    shutil.rmtree(work, ignore_errors=True)
    return summary


def _step(orch: Orchestrator, recorder: PoseRecorder, history: dict[str, list[RenderStats]]) -> None:
    orch.step(0.01)
    recorder.drain()
    for node, stats in history.items():
        latest = orch.health.render.get(node)
        if latest is not None and (not stats or stats[-1] is not latest.value):
            stats.append(latest.value)  # type: ignore[arg-type]


def _wait_for_nodes(orch: Orchestrator, recorder: PoseRecorder, history: dict[str, list[RenderStats]],
                    out: Path) -> float:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not all(history.values()):
        crashing = [(n, c) for n, c in orch.supervisor.children.items() if c.restarts >= 2]
        if crashing:
            name, child = crashing[0]
            raise DemoError(f"{name} keeps exiting (last exit code {child.last_exit}); "
                            f"see {orch.supervisor.log_path(name)}")
        if time.monotonic() > deadline:
            missing = [n for n, h in history.items() if not h]
            raise DemoError(f"render node(s) {', '.join(missing)} did not start within {STARTUP_TIMEOUT_S:.0f} s; "
                            f"see {out / 'logs'}/")
        _step(orch, recorder, history)
    return time.monotonic()


def _run_moments(orch: Orchestrator, recorder: PoseRecorder, history: dict[str, list[RenderStats]],
                 moments: list[Moment], t0: float, duration_s: float, snap_dir: Path, out: Path) -> None:
    due = [t0 + duration_s * (k + 1) / (MOMENTS + 1) for k in range(MOMENTS)]
    end = t0 + duration_s
    pending: Moment | None = None
    while True:
        _step(orch, recorder, history)
        now = time.monotonic()
        if pending is None and due and now >= due[0] and recorder.last:
            due.pop(0)
            files = _snapshot_files(orch, snap_dir)
            pending = Moment(len(moments) + 1, now - t0, dict(recorder.last), orch.store.state,
                             {f: _mtime(f) for f in files}, now)
            for node in orch.config.nodes:
                orch.supervisor.signal(node.process_name, signal.SIGUSR1)
        if pending is not None:
            if all(_mtime(f) != m for f, m in pending.mtimes.items()):
                pending.files = [_keep(f, out / f"preview-{pending.index}-{f.name}") for f in pending.mtimes]
                moments.append(pending)
                pending = None
                if len(moments) == MOMENTS - 1:
                    orch.store.set("exposure_ev", orch.store.state.exposure_ev + EXPOSURE_STEP_EV, source="demo")
            elif now - pending.asked_s > SNAPSHOT_TIMEOUT_S:
                log.warning("moment %d: no snapshot from the render node within %.0f s", pending.index,
                            SNAPSHOT_TIMEOUT_S)
                pending = None
        if now >= end and pending is None:
            if not due:
                return
            if now >= end + SNAPSHOT_TIMEOUT_S:
                return


__all__ = ["DemoError", "run_demo", "summary_text"]
