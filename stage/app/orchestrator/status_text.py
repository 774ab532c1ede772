"""What a person sees of the orchestrator: the live status line of ``stage up`` and the text form of replies."""

from __future__ import annotations

import logging
import time
from typing import Any, TextIO

AUDIT_LOGGER = "stage.audit"
"""Logger of the audit trail: one INFO line per applied change (``origin: path old → new``)."""
LOG_EVERY_S = 5.0
"""Without a terminal the status line is logged this often."""


class StatusOutput:
    """On a terminal, one status line rewritten in place (``\\r``), with log records printed above it; otherwise
    an ordinary log line every :data:`LOG_EVERY_S`. Installs itself as the root log handler's stream."""

    def __init__(self, stream: TextIO, verbose: int = 0, level_default: str = "INFO"):
        """``level_default``: level of the ``stage`` loggers without ``-v`` (``-vv``: debug)."""
        self.stream = stream
        self.tty = stream.isatty()
        self._line = ""
        self._next_log = 0.0
        level = logging.DEBUG if verbose >= 2 else logging.INFO if verbose == 1 else logging.getLevelName(level_default)
        logging.getLogger("stage").setLevel(level)
        self._handler: logging.Handler | None = _LineSafeHandler(self)
        self._handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        if verbose < 1:  # the audit trail (a line per change) goes to the log file; on the terminal only with -v
            self._handler.addFilter(lambda record: not record.name.startswith(AUDIT_LOGGER))
        root = logging.getLogger()
        self._replaced = [h for h in root.handlers if isinstance(h, logging.StreamHandler)]
        for h in self._replaced:
            root.removeHandler(h)
        root.addHandler(self._handler)

    def status(self, line: str) -> None:
        if self.tty:
            self._line = line
            self._draw()
        elif time.monotonic() >= self._next_log:
            self._next_log = time.monotonic() + LOG_EVERY_S
            logging.getLogger("stage.app.orchestrator.status").info("%s", line)

    def _draw(self) -> None:
        self.stream.write("\r\x1b[K" + self._line)
        self.stream.flush()

    def write_record(self, text: str) -> None:
        if self.tty and self._line:
            self.stream.write("\r\x1b[K")
        self.stream.write(text + "\n")
        if self.tty and self._line:
            self._draw()
        self.stream.flush()

    def close(self) -> None:
        """End the status line and give the log back to the handlers it had (idempotent)."""
        if self._handler is None:
            return
        if self.tty and self._line:
            self.stream.write("\n")
            self._line = ""
        root = logging.getLogger()
        root.removeHandler(self._handler)
        for h in self._replaced:
            root.addHandler(h)
        self._handler = None


class _LineSafeHandler(logging.Handler):
    def __init__(self, output: StatusOutput):
        super().__init__()
        self.output = output

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.output.write_record(self.format(record))
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


def _process_lines(processes: dict[str, dict]) -> list[str]:
    out = []
    for name, p in processes.items():
        pid = p["pid"] if p["pid"] is not None else "-"
        extra = f", last exit {p['last_exit']}" if p["last_exit"] is not None else ""
        if p.get("hangs"):
            extra += f", hung {p['hangs']}× (watchdog)"
        age = p.get("report_age_s")
        seen = f"stats {age:.1f} s ago" if age is not None else "no stats yet"
        out.append(f"  {name:<16} pid {pid:<8} {p['state']:<10} up {p['uptime_s']:8.1f} s  {seen:<18} "
                   f"restarts {p['restarts']}{extra}")
        if p.get("last_exit_reason"):
            out.append(f"  {'':<16} last exit: {p['last_exit_reason']}")
    return out


def _node_lines(nodes: dict[str, dict]) -> list[str]:
    out = []
    for name, n in nodes.items():
        if n.get("fps") is None:
            out.append(f"  {name:<16} no stats")
            continue
        ages = ", ".join(f"{cam} {age:.0f} ms" for cam, age in n["pose_age_ms"].items()) or "-"
        lat = n.get("pose_to_frame_ms_p50")
        out.append(f"  {name:<16} {n['fps']:6.1f} fps  frame {n['frame']}  missed {n['missed_frames']}  "
                   f"pose age {ages}  pose→frame p50 {f'{lat:.1f} ms' if lat is not None else '-'}  "
                   f"state rev {n['state_rev']}")
        if n.get("output_bits"):
            out.append(f"  {'':<16} outputs: {', '.join(f'{o} {b}-bit' for o, b in n['output_bits'].items())}")
    return out


def osc_line(osc: dict[str, int], last_reject: str | None) -> str:
    """``OSC: 12 received, 9 applied, 3 rejected (2 not allowed), last: ...``: every dropped message is counted."""
    refused = sum(v for k, v in osc.items() if k.startswith("rejected_"))
    dropped = refused + osc.get("ignored_not_allowed", 0) + osc.get("malformed", 0) + osc.get("oversized", 0)
    detail = [f"{osc[k]} {k.replace('ignored_', '').replace('_', ' ')}"
              for k in ("ignored_not_allowed", "malformed", "oversized") if osc.get(k)]
    line = f"OSC: {osc['received']} received, {osc['applied']} applied, {dropped} rejected"
    line += f" ({', '.join(detail)})" if detail else ""
    return line + (f", last: {last_reject}" if last_reject else "")


def _journal_lines(doc: dict[str, Any]) -> list[str]:
    journal, watchdog = doc.get("journal"), doc.get("watchdog")
    if not journal:
        return []
    restored = journal.get("restored")
    where = (f"restored rev {restored['rev']} from {journal['path']}" if restored
             else f"journal {journal['path']} (started from the config)")
    line = f"live state: {where}; {journal['writes']} writes"
    if journal.get("last_error"):
        line += f"; last error: {journal['last_error']}"
    if watchdog:
        line += (f"; watchdog {watchdog['timeout_s']:g} s" if watchdog["timeout_s"] else "; watchdog off")
    return [line]


def _ms(value: float | None) -> str:
    return f"{value:.1f} ms" if value is not None else "-"


def _cluster_lines(cluster: dict[str, Any] | None) -> list[str]:
    """Frame lock (docs/cluster.md): per node its barrier state and wait, per camera tracking → present."""
    if cluster is None:
        return []
    out = [f"frame lock: {cluster['rate']} fps, {cluster['frames']} frames, {cluster['skipped']} skipped"]
    phase = cluster.get("phase_lock")
    if phase:
        out.append(f"  phase lock: {phase['state']}" + (f" to {phase['camera']}" if phase["camera"] else "")
                   + f", grid offset {phase['offset_ms']:.2f} ms, poses arrive at {_ms(phase['pose_phase_ms'])}"
                   f" (+{_ms(phase['spread_ms'])}), every {_ms(phase['tracking_period_ms'])}")
    for name, n in cluster["nodes"].items():
        poses = ", ".join(f"{c} #{seq}" for c, seq in n["last_poses"].items()) or "-"
        out.append(f"  {name:<16} {n['state']:<8} frames {n['frames']}  barrier wait p50 "
                   f"{_ms(n['barrier_wait_ms_p50'])} p99 {_ms(n['barrier_wait_ms_p99'])}  drops {n['drops']}  "
                   f"last frame {poses}")
    for camera, c in cluster["cameras"].items():
        parts = ", ".join(f"{k.removesuffix('_ms_p50')} {_ms(v)}" for k, v in c.items() if k.endswith("_ms_p50")
                          and k != "total_ms_p50")
        out.append(f"  {camera:<16} tracking → present p50 {_ms(c['total_ms_p50'])} p99 {_ms(c['total_ms_p99'])}"
                   f" ({parts})")
    return out


def _files_text(doc: dict[str, Any]) -> str:
    """Where the stage's files are: the stage folder, and logs and presets where they are not inside it."""
    files = doc.get("files") or {"folder": None, "logs": doc["logs"], "presets": None}
    folder = files["folder"]
    parts = [f"files {folder}/"] if folder else []
    for name in ("logs", "presets"):
        path = files.get(name)
        if path and (folder is None or path != f"{folder}/{name}"):
            parts.append(f"{name} {path}/")
    return ", ".join(parts)


def format_status(doc: dict[str, Any]) -> str:
    """The human form of ``stage status``."""
    lines = [f"{doc['stage']} — up {doc['uptime_s']:.1f} s, control {doc['control']}, OSC udp {doc['osc_port']}, "
             f"{_files_text(doc)}",
             *_journal_lines(doc),
             f"scene {doc['scene']} (choices: {', '.join(doc['scenes']) or '-'}), state rev {doc['rev']}",
             "processes:", *_process_lines(doc["processes"]), "render nodes:", *_node_lines(doc["nodes"])]
    tracking = doc["tracking"]
    rate = tracking.get("pose_rate_hz")
    lines.append(f"tracking: {f'{rate:.0f} Hz' if rate is not None else 'no stats'}"
                 + "".join(f", {n} {s['rate_hz']:.0f} Hz ({s['kind']}, {s['packets']} packets)"
                           for n, s in tracking.get("sources", {}).items()))
    lines += _cluster_lines(doc.get("cluster"))
    lines.append(f"stale cameras: {', '.join(doc['stale_cameras']) or '-'}")
    osc = doc["counters"]["osc"]
    lines.append(osc_line(osc, doc.get("osc_last_reject")))
    lines.append("parameters:")
    lines += [f"  {k} = {v}" for k, v in doc["parameters"].items()]
    if doc["errors"]:
        lines.append("recent errors:")
        lines += [f"  {e}" for e in doc["errors"][-5:]]
    return "\n".join(lines)


def format_reply(cmd: str, reply: dict[str, Any]) -> str:
    """The human form of a successful reply."""
    if cmd == "status":
        return format_status(reply)
    if cmd == "presets":
        return "\n".join(reply["presets"]) or "no presets"
    if cmd == "preset_save":
        return f"saved {reply['path']}"
    if cmd == "reload":
        lines = [f"reloaded: changed {', '.join(reply['changed']) or 'nothing'}",
                 f"restarted {', '.join(reply['restarted']) or 'nothing'}"]
        if reply["started"] or reply["stopped"]:
            lines.append(f"started {', '.join(reply['started']) or '-'}; stopped {', '.join(reply['stopped']) or '-'}")
        if reply.get("parameters_added"):
            lines.append(f"live parameters added: {', '.join(reply['parameters_added'])}")
        if reply["needs_up_restart"]:
            lines.append(f"not applied until `stage up` restarts: {', '.join(reply['needs_up_restart'])}")
        if reply.get("elsewhere"):
            lines.append(f"nodes on other hosts, not restarted here (copy the config there and restart their "
                         f"`stage node`): {', '.join(reply['elsewhere'])}")
        return "\n".join(lines)
    if cmd == "down":
        return "stage down: " + ", ".join(f"{k} exited {v}" for k, v in reply["stopped"].items())
    if cmd == "ping":
        return f"{reply['stage']} (pid {reply['pid']})"
    changed = reply.get("changed") or {}
    text = ", ".join(f"{k} = {v}" for k, v in changed.items()) or "no change"
    return "\n".join([text, *(f"warning: {w}" for w in reply.get("warnings", []))])
