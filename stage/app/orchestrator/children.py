"""What the orchestrator runs: the child command lines of a stage config, and which children a config edit touches.

Children: ``tracking`` (``python -m tracking CONFIG --publish <endpoints.pose>``), ``render-<node>`` for every
node on this machine (``python -m renderer CONFIG --node NODE --scene SCENE ...`` with the orchestrator's
endpoints; a node already named ``render-1`` runs as ``render-1``, never ``render-render-1``; nodes on other hosts
run ``stage node`` there) and, with ``cluster.frame_lock``, ``clock`` (``stage clock CONFIG``). They read the
*running copy* of the config (:class:`RunningConfig`), not the file the operator edits, so a child restarted after
a crash never picks up an edit that ``stage reload`` has not validated yet.

:func:`reload_plan` compares two configs. What a change needs:

* ``sources``, ``cameras`` or ``endpoints.pose`` → restart ``tracking``; a change of which cameras have
  ``latency.mode: present`` (or of their ``ms``) → restart ``clock`` too (the clock predicts them);
* per render node: its outputs, the walls it shows, ``render``, ``cameras``, ``endpoints.pose``, the stage's largest
  wall resolution (outer cube size) and, when there are light cards, every wall (card placement) → restart that
  node; new nodes are started, removed ones stopped;
* ``control.*``, ``endpoints.state``/``render_stats`` → only a restart of ``stage up`` applies them (reported;
  the rest of the edit is applied);
* ``cluster.*`` and ``nodes[].host`` → the reload is refused, nothing changes: the frame clock and every node (here
  and on other hosts) read them when they start, so applying the rest would leave children restarted with the new
  values beside others on the old ones; a restart of ``stage up`` applies them;
* a node on another host (``nodes[].host`` not local) is never started, restarted or stopped here: its changes are
  reported, to be applied by restarting ``stage node`` on its machine with the edited config;
* ``name``, ``scene`` (the default for the next start), ``eye_height_m``, ``control.watchdog_*`` → applied, nothing
  restarted. The live
  state (exposure, overscan, …) keeps the operator's values.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from stage.app.orchestrator.supervisor import ChildSpec
from stage.core.cluster.present import present_offsets_s
from stage.core.config.stage import StageConfig, node_process_name
from stage.core.config.wall_geometry import wall_resolution_px

log = logging.getLogger(__name__)

TRACKING = "tracking"
CLOCK = "clock"
"""The frame clock of a frame-locked cluster (``cluster.frame_lock``: docs/cluster.md)."""


def node_child(node: str) -> str:
    """Child name of a render node: :attr:`stage.core.config.stage.RenderNode.process_name` (``render-1`` stays
    ``render-1``, ``node1`` becomes ``render-node1``)."""
    return node_process_name(node)


def node_of(child: str, nodes: list[str]) -> str:
    """Render node name of child ``child`` among ``nodes`` (inverse of :func:`node_child`); a child of no such node
    → its name without ``render-``."""
    return next((node for node in nodes if node_child(node) == child), child.removeprefix("render-"))


@dataclass(frozen=True)
class Endpoints:
    """The endpoints the running orchestrator actually serves (config values, or overrides)."""

    pose: str
    state: str
    render_stats: str


def tracking_spec(config_file: Path, endpoints: Endpoints) -> ChildSpec:
    return ChildSpec(TRACKING, [sys.executable, "-m", "tracking", str(config_file), "--publish", endpoints.pose])


def clock_spec(config_file: Path, frame_log: Path | None) -> ChildSpec:
    argv = [sys.executable, "-m", "stage.app.cli", "clock", str(config_file)]
    if frame_log is not None:
        argv += ["--frame-log", str(frame_log)]
    return ChildSpec(CLOCK, argv)


def node_spec(config_file: Path, node: str, scene: str | None, endpoints: Endpoints, display: str,
              snapshot_dir: Path | None, frame_log: Path | None = None) -> ChildSpec:
    argv = [sys.executable, "-m", "renderer", str(config_file), "--node", node, f"--display={display}",
            "--pose", endpoints.pose, "--state", endpoints.state, "--stats", endpoints.render_stats]
    if scene:
        argv += ["--scene", scene]
    if snapshot_dir is not None:
        argv += ["--snapshot-dir", str(snapshot_dir)]
    if frame_log is not None:
        argv += ["--frame-log", str(frame_log)]
    return ChildSpec(node_child(node), argv)


def _dump(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def node_fingerprint(config: StageConfig, node: str) -> str:
    """Everything in ``config`` that a running render node ``node`` depends on."""
    own = next((n for n in config.nodes if n.name == node), None)
    walls = [w.model_dump(mode="json") for w in config.walls if w.output.node == node]
    widest = max((max(wall_resolution_px(w)) for w in config.walls), default=0)
    cards = config.render.light_cards
    return _dump({
        "node": own.model_dump(mode="json") if own else None,
        "walls": walls,
        "render": config.render.model_dump(mode="json"),
        "cameras": [c.model_dump(mode="json") for c in config.cameras],
        "pose": config.endpoints.pose,
        "widest": widest,
        "all_walls": [w.model_dump(mode="json") for w in config.walls] if cards else None,
    })


@dataclass
class ReloadPlan:
    """The children to restart, start and stop for a config edit, and what only a new ``stage up`` applies."""

    restart: list[str] = field(default_factory=list)
    start: list[str] = field(default_factory=list)
    stop: list[str] = field(default_factory=list)
    needs_up_restart: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    """Top-level config keys that differ."""
    refused: list[str] = field(default_factory=list)
    """Changed keys that only a new ``stage up`` applies and that refuse the whole reload (``cluster.*``,
    ``nodes.<name>.host``)."""
    elsewhere: list[str] = field(default_factory=list)
    """Nodes on other hosts that the edit adds, changes or removes (restarted there, not here)."""


def reload_plan(old: StageConfig, new: StageConfig) -> ReloadPlan:
    """Which children a change from ``old`` to ``new`` touches (module docstring). Pure."""
    plan = ReloadPlan()
    o, n = old.model_dump(mode="json"), new.model_dump(mode="json")
    plan.changed = sorted(k for k in set(o) | set(n) if o.get(k) != n.get(k))
    if o["sources"] != n["sources"] or o["cameras"] != n["cameras"] or o["endpoints"]["pose"] != n["endpoints"]["pose"]:
        plan.restart.append(TRACKING)
    old_nodes, new_nodes = {x.name: x for x in old.nodes}, {x.name: x for x in new.nodes}
    touched = {x for x in old_nodes.keys() & new_nodes.keys() if node_fingerprint(old, x) != node_fingerprint(new, x)}
    touched |= old_nodes.keys() ^ new_nodes.keys()
    for node in sorted(touched):
        spec = new_nodes.get(node) or old_nodes[node]
        if not spec.is_local:
            plan.elsewhere.append(node)
        elif node not in new_nodes:
            plan.stop.append(node_child(node))
        elif node not in old_nodes:
            plan.start.append(node_child(node))
        else:
            plan.restart.append(node_child(node))
    for key in ("osc_bind", "osc_port", "allowed_clients", "osc_reply_clients", "endpoint"):
        if o["control"][key] != n["control"][key]:
            plan.needs_up_restart.append(f"control.{key}")
    for key in ("state", "render_stats"):
        if o["endpoints"][key] != n["endpoints"][key]:
            plan.needs_up_restart.append(f"endpoints.{key}")
    plan.refused = [f"cluster.{k}" for k in sorted(n["cluster"]) if o["cluster"].get(k) != n["cluster"].get(k)]
    plan.refused += [f"nodes.{x}.host" for x in sorted(old_nodes.keys() & new_nodes.keys())
                     if old_nodes[x].host != new_nodes[x].host]
    if not plan.refused and new.cluster.frame_lock and present_offsets_s(old) != present_offsets_s(new):
        plan.restart.append(CLOCK)  # it predicts the cameras with latency.mode: present
    return plan


class RunningConfig:
    """A private copy of the validated config text beside the original (so relative paths still resolve):
    ``.<stem>.running-<pid>.yaml``, written atomically, removed by :meth:`remove`. Falls back to the original file
    when its directory is read-only."""

    def __init__(self, original: Path):
        self.original = original
        self.path = original.with_name(f".{original.stem}.running-{os.getpid()}{original.suffix}")
        self._own = False

    def write(self, text: str) -> Path:
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            log.warning("cannot write %s (%s): children read %s directly", self.path, exc.strerror, self.original)
            return self.original
        self._own = True
        return self.path

    @property
    def file(self) -> Path:
        return self.path if self._own else self.original

    def remove(self) -> None:
        if self._own:
            self.path.unlink(missing_ok=True)
            self._own = False
