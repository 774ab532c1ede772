"""What ``stage demo`` leaves behind: witness and camera views of each moment, the contact sheet, the summary."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from statistics import fmean
from typing import TYPE_CHECKING

import numpy as np

from stage.app.orchestrator.contact_sheet import contact_sheet, percentiles, save_array
from stage.app.orchestrator.demo_record import Moment, PoseRecorder
from stage.app.orchestrator.output_view import output_for_viewing, output_of
from stage.core.config.loader import load_scene_config
from stage.core.wire.render_stats import RenderStats

if TYPE_CHECKING:
    from stage.app.orchestrator.stage_up import Orchestrator

log = logging.getLogger(__name__)

WITNESS_WIDTH_PX = 480


def render_views(orch: Orchestrator, moments: list[Moment], out: Path) -> None:
    """``preview-<k>-witness.png`` and ``preview-<k>-camera.png`` of every moment, offline, one GL context."""
    if not moments:
        return
    from renderer.gl import create_context
    from renderer.offline import render_frame
    from renderer.views import CameraState

    priority = {c.id: c.priority for c in orch.config.cameras}
    order = [c.id for c in orch.config.cameras]
    context = create_context("headless")
    try:
        for m in moments:
            if not m.poses or m.live.scene is None:
                continue
            scene = load_scene_config(m.live.scene, orch.config.color)
            poses = sorted(m.poses.values(), key=lambda p: order.index(p.camera) if p.camera in order else 99)
            cameras = [CameraState(camera=p.camera, position_m=p.position_m, rotation_deg=p.rotation_deg,
                                   focal_length_mm=p.focal_length_mm, sensor_mm=p.sensor_mm,
                                   entrance_pupil_m=p.entrance_pupil_m, priority=priority.get(p.camera, 0),
                                   t_sample=p.t_sample, stale=p.stale) for p in poses]
            result = render_frame(orch.config, scene, cameras, m.live, camera_width_px=WITNESS_WIDTH_PX,
                                  context=context)
            witness, camera = out / f"preview-{m.index}-witness.png", out / f"preview-{m.index}-camera.png"
            save_array(result.preview, witness)
            save_array(result.camera, camera)
            m.files = [witness, camera, *m.files]
    finally:
        context.close()


def _node_summary(stats: list[RenderStats]) -> dict:
    steady = stats[1:] or stats  # the first interval includes the start-up
    p50s = [s.pose_to_frame_ms_p50 for s in steady if s.pose_to_frame_ms_p50 is not None]
    p99s = [s.pose_to_frame_ms_p99 for s in steady if s.pose_to_frame_ms_p99 is not None]
    frame = [s.frame_ms_p50 for s in steady if s.frame_ms_p50 is not None]
    last = stats[-1] if stats else None
    return {
        "display": last.display if last else None,
        "fps_mean": round(fmean(s.fps for s in steady), 2) if steady else 0.0,
        "fps_min": round(min(s.fps for s in steady), 2) if steady else 0.0,
        "frames": last.frame if last else 0,
        "missed_frames": last.missed_frames if last else 0,
        "frame_ms_p50": round(fmean(frame), 2) if frame else None,
        "pose_to_frame_ms_p50": round(fmean(p50s), 2) if p50s else None,
        "pose_to_frame_ms_p99": round(max(p99s), 2) if p99s else None,
        "pose_age_ms": {cam: round(age, 2) for cam, age in last.pose_age_ms.items()} if last else {},
        "state_rev": last.state_rev if last else None,
    }


def write_report(orch: Orchestrator, recorder: PoseRecorder, history: dict[str, list[RenderStats]],
                 moments: list[Moment], out: Path, config: Path, display: str, elapsed_s: float) -> dict:
    """Render the views, write ``contact-sheet.png`` and ``summary.json``; returns the summary."""
    render_views(orch, moments, out)
    rows = [(f"moment {m.index}: t = {m.t_s:.1f} s, exposure {m.live.exposure_ev:+.1f} EV",
             [(_caption(f), _viewable(f, orch, m)) for f in m.files]) for m in moments]
    sheet = None
    if rows:
        sheet = contact_sheet(f"{orch.config.name} - stage demo ({display})", rows, out / "contact-sheet.png")
    nodes = {node: _node_summary(stats) for node, stats in history.items()}
    fps = [n["fps_mean"] for n in nodes.values()]
    p50s = [n["pose_to_frame_ms_p50"] for n in nodes.values() if n["pose_to_frame_ms_p50"] is not None]
    p99s = [n["pose_to_frame_ms_p99"] for n in nodes.values() if n["pose_to_frame_ms_p99"] is not None]
    files = sorted(str(p.relative_to(out)) for m in moments for p in m.files)
    if sheet is not None:
        files.append(sheet.name)
    summary = {
        "ok": bool(fps) and min(fps) > 0 and bool(recorder.times) and len(moments) > 0,
        "stage": orch.config.name,
        "config": str(config),
        "display": next((n["display"] for n in nodes.values() if n["display"]), display),
        "render_fps": round(fmean(fps), 2) if fps else 0.0,
        "nodes": nodes,
        "pose_rate_hz": round(recorder.rate_hz(), 2),
        "poses": len(recorder.times),
        "pose_age_ms": percentiles(recorder.ages_ms),
        "pose_to_frame_ms": {"p50": round(fmean(p50s), 2) if p50s else None, "p99": max(p99s) if p99s else None},
        "moments": len(moments),
        "restarts": sum(p["restarts"] for p in orch.supervisor.status().values()),
        "errors": list(orch.errors),
        "elapsed_s": round(elapsed_s, 2),
        "files": [*files, "summary.json"],
        "logs": str(orch.log_dir),
    }
    tmp = out / ".summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / "summary.json")
    return summary


def _viewable(path: Path, orch: Orchestrator, moment: Moment) -> Path | np.ndarray:
    """A node output display-referred (each wall through its preview transform); other views as written."""
    if output_of(path, orch.config) is None:
        return path
    return output_for_viewing(path, orch.config, moment.live)


def _caption(path: Path) -> str:
    name = path.stem.split("-", 2)[-1]
    if name == "witness":
        return "witness view (walls as the camera sees them)"
    if name == "camera":
        return "camera view (inner frustum)"
    return f"LED output {name}"


def summary_text(summary: dict) -> str:
    """The printed form of the summary."""
    lines = [f"{summary['stage']}: {summary['display']}, {summary['elapsed_s']:.1f} s in all"]
    for node, n in summary["nodes"].items():
        frame = f", frame p50 {n['frame_ms_p50']:.1f} ms" if n["frame_ms_p50"] is not None else ""
        lines.append(f"  render {node}: {n['fps_mean']:.1f} fps ({n['frames']} frames, {n['missed_frames']} missed"
                     f"{frame})")
    age = summary["pose_age_ms"]
    lines.append(f"  tracking: {summary['pose_rate_hz']:.1f} poses/s, pose age at arrival p50 "
                 f"{_ms(age['p50'])} / p99 {_ms(age['p99'])}")
    lat = summary["pose_to_frame_ms"]
    lines.append(f"  pose → frame latency p50 {_ms(lat['p50'])} / p99 {_ms(lat['p99'])}")
    if summary["errors"]:
        lines.append(f"  errors: {'; '.join(summary['errors'])}")
    out = Path(summary["logs"]).parent
    lines.append(f"  wrote {out}/: contact-sheet.png, {sum(f.startswith('preview-') for f in summary['files'])} "
                 f"preview frames, summary.json (logs in {summary['logs']}/)")
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return f"{value:.1f} ms" if value is not None else "-"
