"""The frame lock on real ZeroMQ sockets on loopback: a leader and render nodes that render nothing, each in its own
thread with its own sockets. Asserts come from the frame logs and the leader's release records; nothing is timed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest
import zmq

from stage.core.cluster.follower import FrameFollower
from stage.core.cluster.frame_log import FrameLog, read_frame_log
from stage.core.cluster.leader import FrameLeader, LeaderSettings
from stage.core.cluster.node_loop import SILENT, LockedLoop, Rendered, rendered_as_sent
from stage.core.cluster.records import ReleasedFrame
from stage.core.wire.cluster_stats import CLUSTER_STATS_TOPIC
from stage.core.wire.cluster_stats import decode as decode_stats
from stage.core.wire.frame import FrameMessage
from tests.cluster.helpers import Inputs
from tests.procs import recv_frames, subscriber

TIMEOUT_S = 60.0


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class LeaderThread:
    def __init__(self, settings: LeaderSettings) -> None:
        self.released: list[ReleasedFrame] = []
        self.stop = threading.Event()
        self.started = threading.Event()
        self.error: BaseException | None = None
        self.leader: FrameLeader | None = None
        self.thread = threading.Thread(target=self._run, args=(settings,), daemon=True)
        self.thread.start()
        assert self.started.wait(TIMEOUT_S), "leader did not start"
        if self.error:
            raise self.error

    def _run(self, settings: LeaderSettings) -> None:
        try:
            self.leader = FrameLeader(settings, on_release=self.released.append)
        except BaseException as exc:  # reported to the test thread
            self.error = exc
            self.started.set()
            return
        self.started.set()
        try:
            self.leader.run(self.stop.is_set)
        finally:
            self.leader.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(TIMEOUT_S)
        assert not self.thread.is_alive()

    def with_members(self, members: list[str]) -> list[ReleasedFrame]:
        return [r for r in list(self.released) if r.frame.members == members and sorted(r.ready) == members]


class NodeThread:
    def __init__(self, name: str, frames: str, ready: str, log_dir: Path) -> None:
        self.name = name
        self.stall = threading.Event()
        self.unstall = threading.Event()
        self.stale_state = threading.Event()
        self.stop = threading.Event()
        self.loop: LockedLoop | None = None
        self.thread = threading.Thread(target=self._run, args=(frames, ready, log_dir), daemon=True)
        self.thread.start()

    def _render(self, frame: FrameMessage) -> Rendered:
        if self.stall.is_set():
            self.unstall.wait(TIMEOUT_S)
            self.stall.clear()
        rendered = rendered_as_sent(frame)
        if self.stale_state.is_set():  # as a node whose state stream lags: not the revision the frame names
            return Rendered(rendered.state_rev - 1, rendered.poses)
        return rendered

    def _run(self, frames: str, ready: str, log_dir: Path) -> None:
        follower = FrameFollower(self.name, frames, ready)
        log = FrameLog(log_dir, self.name)
        self.loop = LockedLoop(follower, self._render, lambda: None, log, leader_silent_s=0.3)
        try:
            self.loop.run(self.stop.is_set)
        finally:
            follower.close()
            log.close()

    def close(self) -> None:
        self.stop.set()
        self.unstall.set()
        self.thread.join(TIMEOUT_S)
        assert not self.thread.is_alive()


@pytest.fixture
def inputs():
    source = Inputs()
    yield source
    source.close()


def _settings(inputs: Inputs, timeout_s: float, frames: str = "tcp://127.0.0.1:*",
              ready: str = "tcp://127.0.0.1:*") -> LeaderSettings:
    return LeaderSettings(rate=Fraction(60), frames_endpoint=frames, ready_endpoint=ready,
                          barrier_timeout_s=timeout_s, pose_endpoint=inputs.pose_endpoint,
                          state_endpoint=inputs.state_endpoint)


def _by_frame(path: Path) -> dict[int, dict]:
    return {line["frame"]: line for line in read_frame_log(path)}


NODES = ["a", "b", "c"]


def drop_and_rejoin(inputs: Inputs, tmp_path: Path, timeout_s: float, fault: Callable[[NodeThread], None],
                    mend: Callable[[NodeThread], None], frames: int) -> tuple[LeaderThread, dict[str, NodeThread], int]:
    """Three nodes in the barrier; ``fault`` node c until it is dropped, ``frames`` frames of a and b without it,
    ``mend`` it, ``frames`` frames with all three again. Returns the (closed) leader, the nodes and the frame c was
    dropped at."""
    leader = LeaderThread(_settings(inputs, timeout_s=timeout_s))
    nodes = {n: NodeThread(n, leader.leader.frames_endpoint, leader.leader.ready_endpoint, tmp_path) for n in NODES}
    try:
        wait_until(lambda: len(leader.with_members(NODES)) >= 10, "all three nodes in the barrier")
        fault(nodes["c"])
        wait_until(lambda: any("c" in r.dropped for r in list(leader.released)), "c dropped")
        dropped_at = next(r.frame.frame for r in leader.released if "c" in r.dropped)
        wait_until(lambda: len([r for r in leader.with_members(["a", "b"]) if r.frame.frame > dropped_at]) >= frames,
                   f"{frames} frames of a and b without c")
        mend(nodes["c"])
        wait_until(lambda: len([r for r in leader.with_members(NODES) if r.frame.frame > dropped_at]) >= frames,
                   f"c back in the barrier for {frames} frames")
    finally:
        leader.close()
        for node in nodes.values():
            node.close()
    return leader, nodes, dropped_at


def test_three_nodes_present_every_frame_from_identical_inputs(tmp_path: Path, inputs: Inputs) -> None:
    leader = LeaderThread(_settings(inputs, timeout_s=5.0))  # generous: a loaded CI machine must not drop anyone
    nodes = [NodeThread(n, leader.leader.frames_endpoint, leader.leader.ready_endpoint, tmp_path) for n in NODES]
    context = zmq.Context()
    stats_sub = subscriber(context, leader.leader.frames_endpoint, CLUSTER_STATS_TOPIC.encode())
    try:
        wait_until(lambda: len(leader.with_members(NODES)) >= 300, "300 frames with all three nodes in the barrier")
        while True:  # the leader's cluster/stats, once a second: wait for one that has seen every node present
            stats = decode_stats(recv_frames(stats_sub, TIMEOUT_S))
            if len(stats.nodes) == 3 and all(c.samples for c in stats.cameras.values()) and len(stats.cameras) == 2:
                break
    finally:
        stats_sub.close(linger=0)
        context.term()
        leader.close()
        for node in nodes:
            node.close()
    assert all(n.state == "in" and n.frames > 0 and n.barrier_wait_ms_p50 is not None for n in stats.nodes.values())
    assert all(c.total_ms_p50 is not None and c.barrier_ms_p50 is not None for c in stats.cameras.values())
    together = leader.with_members(NODES)
    logs = {n: _by_frame(tmp_path / f"{n}.frames.jsonl") for n in NODES}
    latched_states = set()
    for released in together:
        frame = released.frame
        expected_poses = {camera: pose.seq for camera, pose in frame.poses.items()}
        assert sorted(expected_poses) == ["cam1", "cam2"]
        latched_states.add(frame.state_rev)
        for name in NODES:
            line = logs[name].get(frame.frame)
            assert line is not None, f"{name} did not present frame {frame.frame}"
            assert line["poses"] == expected_poses and line["state_rev"] == frame.state_rev
            assert line["pose_position_m"] == {c: list(p.position_m) for c, p in frame.poses.items()}
            assert line["pose_rotation_deg"] == {c: list(p.rotation_deg) for c, p in frame.poses.items()}
            assert line["in_barrier"] is True and line["t_present"] >= line["t_release_recv"] >= line["t_render_end"]
    assert len(latched_states) > 1  # the live state really changed during the run and was latched per frame
    numbers = [r.frame.frame for r in together]
    assert numbers == sorted(set(numbers))


def test_a_stalled_node_is_dropped_and_rejoins(tmp_path: Path, inputs: Inputs) -> None:
    # a barrier timeout longer than the nodes' leader-silence time (0.3 s): the ready nodes wait for the release
    leader, nodes, dropped_at = drop_and_rejoin(inputs, tmp_path, 1.0, lambda c: c.stall.set(),
                                                lambda c: c.unstall.set(), 30)
    logs = {n: _by_frame(tmp_path / f"{n}.frames.jsonl") for n in NODES}
    drop = next(r for r in leader.released if r.frame.frame == dropped_at)
    assert sorted(drop.ready) == ["a", "b"]
    for name in ("a", "b"):  # the frame c missed was presented by the others, released together
        assert logs[name][dropped_at]["in_barrier"] is True
    without_c = [r for r in leader.with_members(["a", "b"]) if r.frame.frame > dropped_at]
    for released in without_c:  # the others kept presenting while c was stalled
        for name in ("a", "b"):
            assert logs[name][released.frame.frame]["in_barrier"] is True
        assert released.frame.frame not in logs["c"] or logs["c"][released.frame.frame]["in_barrier"] is False
    rejoined = [r for r in leader.with_members(NODES) if r.frame.frame > dropped_at]
    assert rejoined[0].frame.frame > without_c[0].frame.frame
    for released in rejoined:
        lines = [logs[n][released.frame.frame] for n in NODES]
        assert all(line["in_barrier"] for line in lines)
        assert lines[0]["poses"] == lines[1]["poses"] == lines[2]["poses"]
        assert lines[0]["state_rev"] == lines[1]["state_rev"] == lines[2]["state_rev"] == released.frame.state_rev
    leader_records = {r.frame.frame: r for r in leader.released}
    assert all(leader_records[f].dropped == [] for f in (r.frame.frame for r in rejoined))


def test_nodes_hold_while_the_leader_is_gone_and_resume_when_it_returns(tmp_path: Path, inputs: Inputs) -> None:
    first = LeaderThread(_settings(inputs, timeout_s=5.0))
    frames, ready = first.leader.frames_endpoint, first.leader.ready_endpoint
    nodes = [NodeThread(n, frames, ready, tmp_path) for n in ("a", "b")]
    second = None
    try:
        wait_until(lambda: len(first.with_members(["a", "b"])) >= 20, "both nodes following the first leader")
        first.close()
        wait_until(lambda: all(n.loop is not None and n.loop.counts[SILENT] > 0 and n.loop.holding for n in nodes),
                   "nodes holding their last frame")
        held = {n.name: n.loop.counts["presented"] for n in nodes}
        second = LeaderThread(_settings(inputs, timeout_s=5.0, frames=frames, ready=ready))
        wait_until(lambda: len(second.with_members(["a", "b"])) >= 20, "both nodes following the second leader")
    finally:
        for leader in (first, second):
            if leader is not None:
                leader.close()
        for node in nodes:
            node.close()
    assert second.leader.id != first.leader.id
    for node in nodes:
        assert node.loop.counts["presented"] > held[node.name]
        lines = read_frame_log(tmp_path / f"{node.name}.frames.jsonl")
        leaders = [line["leader"] for line in lines]
        assert first.leader.id in leaders and second.leader.id in leaders
        switch = leaders.index(second.leader.id)
        assert set(leaders[:switch]) == {first.leader.id} and set(leaders[switch:]) == {second.leader.id}
        numbers = [line["frame"] for line in lines]
        assert numbers == sorted(set(numbers))  # frame numbers keep increasing across the leader's restart


def _latched(leader: LeaderThread, count: int) -> list[FrameMessage]:
    """``count`` frames latched after the leader had the live state (``state_rev`` ≥ 1), skipping the first 30 so
    the pose history covers the delay."""
    def frames() -> list[FrameMessage]:
        return [r.frame for r in list(leader.released) if r.frame.state_rev >= 1 and len(r.frame.poses) == 2][30:]

    wait_until(lambda: len(frames()) >= count, f"{count} frames with the live state")
    return frames()


def _latched_from(inputs: Inputs, count: int, present_s: dict[str, float] | None = None) -> list[FrameMessage]:
    """:func:`_latched` of a leader on ``inputs`` (closed after, with the leader)."""
    settings = _settings(inputs, timeout_s=1.0)
    settings.present_s = present_s or {}
    leader = LeaderThread(settings)
    try:
        return _latched(leader, count)
    finally:
        leader.close()
        inputs.close()


def test_the_leader_applies_camera_delay() -> None:
    frames = _latched_from(Inputs(live={"camera_delay_ms": {"cam1": 150.0}}), 60)
    for frame in frames:
        cam1, cam2 = frame.poses["cam1"], frame.poses["cam2"]
        # cam1's pose arrived (after it was published) at least 150 ms before the latch; cam2 is the newest
        assert frame.t_latch - cam1.t_pub >= 0.150 - 0.002
        assert cam2.seq > cam1.seq


def test_the_leader_predicts_present_cameras_to_the_frames_due_time() -> None:
    frames = _latched_from(Inputs(), 30, present_s={"cam1": 0.0})  # x = seq · 1 mm: every camera moves along +x
    for frame in frames:
        cam1, cam2 = frame.poses["cam1"], frame.poses["cam2"]
        assert cam2.position_m[0] == pytest.approx(cam2.seq * 0.001)  # as published
        assert frame.t_frame > cam1.t_sample and cam1.position_m[0] > cam1.seq * 0.001 + 1e-9  # moved ahead


def test_tracking_freeze_holds_the_poses_of_the_frame_it_went_on_at() -> None:
    inputs = Inputs(live={"tracking_freeze": True})
    frames = _latched_from(inputs, 30)
    assert inputs.seq > max(p.seq for p in frames[0].poses.values())  # the tracking kept moving
    held = {c: p.seq for c, p in frames[0].poses.items()}
    assert all({c: p.seq for c, p in f.poses.items()} == held for f in frames)


def test_a_node_that_cannot_render_the_frames_state_is_not_ready_and_shows_nothing(tmp_path: Path,
                                                                                    inputs: Inputs) -> None:
    leader, nodes, _ = drop_and_rejoin(inputs, tmp_path, 0.3, lambda c: c.stale_state.set(),
                                       lambda c: c.stale_state.clear(), 10)
    assert nodes["c"].loop.counts["unsynced"] > 0
    latched = {r.frame.frame: r.frame.state_rev for r in leader.released}
    for line in read_frame_log(tmp_path / "c.frames.jsonl"):  # c never showed a frame from another state
        assert line["state_rev"] == latched[line["frame"]]


def test_a_stopping_node_leaves_at_once_and_can_come_back(tmp_path: Path, inputs: Inputs) -> None:
    """A node that stops (its window closed, SIGTERM, end of --duration) sends ``leave``: the barrier stops waiting
    for it at once — it is never dropped at the (here long) barrier timeout, so the others miss no frame — and a
    node of that name started again joins at a frame boundary."""
    leader = LeaderThread(_settings(inputs, timeout_s=30.0))
    nodes = {n: NodeThread(n, leader.leader.frames_endpoint, leader.leader.ready_endpoint, tmp_path) for n in NODES}
    try:
        wait_until(lambda: len(leader.with_members(NODES)) >= 10, "all three nodes in the barrier")
        nodes.pop("c").close()
        wait_until(lambda: leader.leader.membership.nodes["c"].state == "left", "c left")
        wait_until(lambda: len(leader.with_members(["a", "b"])) >= 30, "30 frames of a and b without c")
        nodes["c"] = NodeThread("c", leader.leader.frames_endpoint, leader.leader.ready_endpoint, tmp_path / "again")
        wait_until(lambda: len(leader.with_members(NODES)) >= 40, "c back in the barrier")
    finally:
        leader.close()
        for node in nodes.values():
            node.close()
    assert not any(r.dropped for r in leader.released), "no node was dropped at the barrier timeout"
    frames = [r.frame.frame for r in leader.released]
    assert frames == sorted(frames) and leader.leader.membership.nodes["c"].drops == 0
