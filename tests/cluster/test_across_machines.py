"""Frame lock across machines, for real, without a second machine: the leader and each node get their own network
namespace (``ip netns``) and address, joined by veth pairs on a bridge, so the non-loopback binds, CURVE (every
socket leaves loopback) and the node join run over a real (virtual) network; a node whose keys are not authorized
gets nothing. Traffic stays inside the namespaces the test made; they are deleted afterwards.

Needs root and iproute2 (CI runs as root); skipped otherwise.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from stage.core.cluster.frame_log import read_frame_log
from stage.core.keys import ENV, default_dir, ensure_keys
from tests.cluster.helpers import wait_for_log
from tests.procs import REPO, Proc

TIMEOUT_S = 90.0

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None,
                                reason="needs root and iproute2 for network namespaces")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def hosts():
    """Namespaces ``leader``, ``node1``, ``node2`` on one /24: the leader at .1, the nodes at .11 and .12."""
    tag = f"{os.getpid() % 100000}{random.randrange(100)}"
    subnet = f"10.231.{random.randrange(256)}"
    names = {role: f"vps{tag}{role[0]}{role[-1]}" for role in ("leader", "node1", "node2")}
    made: list[str] = []
    try:
        for ns in names.values():
            _ip("netns", "add", ns)
            made.append(ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        lead = names["leader"]
        _ip("-n", lead, "link", "add", "br0", "type", "bridge")
        _ip("-n", lead, "addr", "add", f"{subnet}.1/24", "dev", "br0")
        _ip("-n", lead, "link", "set", "br0", "up")
        addresses = {"leader": f"{subnet}.1"}
        for i, role in enumerate(("node1", "node2"), start=1):
            outer, inner = f"v{tag}a{i}", f"v{tag}b{i}"
            _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
            _ip("link", "set", outer, "netns", lead)
            _ip("link", "set", inner, "netns", names[role])
            _ip("-n", lead, "link", "set", outer, "master", "br0", "up")
            addresses[role] = f"{subnet}.{10 + i}"
            _ip("-n", names[role], "addr", "add", f"{addresses[role]}/24", "dev", inner)
            _ip("-n", names[role], "link", "set", inner, "up")
        yield {role: (("ip", "netns", "exec", names[role]), addresses[role]) for role in names}
    finally:
        for ns in made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


def test_nodes_on_other_hosts_join_and_present_identical_frames(tmp_path: Path, hosts) -> None:
    (lead_ns, lead_ip), (n1_ns, n1_ip), (n2_ns, n2_ip) = hosts["leader"], hosts["node1"], hosts["node2"]
    procs: dict[str, Proc] = {}
    logs = tmp_path / "frames"
    try:
        procs["feed"] = Proc(["-m", "tests.cluster.feed", "--bind", lead_ip], prefix=lead_ns)
        m = procs["feed"].wait_for(r"feed: pose (\S+) state (\S+)")
        frames, ready = f"tcp://{lead_ip}:5561", f"tcp://{lead_ip}:5562"
        text = (REPO / "configs" / "demo.yaml").read_text().replace("../scenes/demo.yaml",
                                                                    str(REPO / "scenes/demo.yaml"))
        text = text.replace("  - name: node1\n", f"  - name: node2\n    host: {n2_ip}\n    outputs:\n"
                            f"      - {{name: out1, resolution_px: [64, 64]}}\n  - name: node1\n    host: {n1_ip}\n")
        text += (f"endpoints:\n  pose: {m.group(1)}\n  state: {m.group(2)}\n  render_stats: tcp://{lead_ip}:5558\n"
                 f"cluster:\n  frame_lock: true\n  frame_rate: 50\n  barrier_timeout_ms: 2000\n"
                 f"  frames: {frames}\n  ready: {ready}\n")
        config = tmp_path / "stage.yaml"
        config.write_text(text)
        procs["clock"] = Proc(["-m", "stage.app.cli", "clock", str(config), "--frame-log", str(logs)], prefix=lead_ns)
        procs["clock"].wait_for(rf"stage clock: 50 fps, frames on tcp://{lead_ip}:5561")
        for name, ns in (("node1", n1_ns), ("node2", n2_ns)):
            procs[name] = Proc(["-m", "stage.core.cluster.null_node", "--node", name, "--frames", frames,
                                "--ready", ready,
                                "--frame-log", str(logs)], prefix=ns)
        # A machine without the stage's keys: its own key pair, not in the clock's authorized/ folder.
        stranger = tmp_path / "stranger-keys"
        ensure_keys(stranger)
        shutil.copy(default_dir() / "server.key", stranger / "server.key")
        procs["stranger"] = Proc(["-m", "stage.core.cluster.null_node", "--node", "stranger", "--frames", frames,
                                  "--ready", ready, "--frame-log", str(logs)], prefix=n2_ns,
                                 env={ENV: str(stranger)})
        wait_for_log(logs / "_clock.frames.jsonl",
                  lambda lines: sum(x["ready"] == ["node1", "node2"] for x in lines) >= 100, "both remote nodes")
        for proc in procs.values():
            proc.signal()
        for name, proc in procs.items():
            assert proc.wait(20) == 0, f"{name}:\n" + "\n".join(proc.lines)
    finally:
        for proc in procs.values():
            proc.kill()
    records = read_frame_log(logs / "_clock.frames.jsonl")
    assert all("stranger" not in x["ready"] and "stranger" not in x["members"] for x in records)
    assert read_frame_log(logs / "stranger.frames.jsonl") == []  # it never got a frame: CURVE refused it
    released = [x for x in records if x["ready"] == ["node1", "node2"]]
    nodes = {n: {x["frame"]: x for x in read_frame_log(logs / f"{n}.frames.jsonl")} for n in ("node1", "node2")}
    assert len(released) >= 100
    for record in released:
        assert record["poses"] and record["state_rev"] >= 1
        for name in ("node1", "node2"):
            line = nodes[name][record["frame"]]
            assert line["poses"] == record["poses"] and line["state_rev"] == record["state_rev"]
            assert line["in_barrier"] is True
