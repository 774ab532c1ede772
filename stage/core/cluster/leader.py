"""The leader: the frame clock of the render cluster (docs/cluster.md).

Its sockets use CURVE when their endpoint leaves loopback (:func:`stage.core.keys.secure`): the frames and ready sockets
as servers with the stage's server keys, the pose and state subscriptions as clients.

For every frame it waits until the latest moment that still leaves the nodes their render time, latches the newest
pose of every camera (its own SUB to the tracking daemon) and the live-state revision (its own SUB to the
orchestrator's state stream), publishes a ``frame`` message, collects ``ready`` reports at the swap barrier and
publishes ``release`` when every member is ready and the frame is due, or drops the members that are still missing
``barrier_timeout`` after the frame was due. Wire format: :mod:`stage.core.wire.frame`.

One thread owns the sockets; :meth:`FrameLeader.run` loops until ``stop()`` says so.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import zmq

from stage.core.cluster.barrier import FrameBarrier, Membership
from stage.core.cluster.phase_lock import PhaseLock
from stage.core.cluster.present import predict_to_present, present_offsets_s
from stage.core.cluster.records import ReleasedFrame
from stage.core.cluster.schedule import LatchLead, due_ns, next_frame
from stage.core.cluster.telemetry import ClusterTelemetry
from stage.core.config.frame_rate import format_frame_rate
from stage.core.config.stage import StageConfig
from stage.core.keys import KeysError, secure, stop_authenticator
from stage.core.live import LiveState
from stage.core.pose_latch import PoseLatch, RejectCounter
from stage.core.sockets import drain
from stage.core.wire.base import WIRE_MAJOR
from stage.core.wire.cluster_stats import STATS_INTERVAL_S, ClusterStats
from stage.core.wire.cluster_stats import encode as encode_stats
from stage.core.wire.frame import (
    FrameMessage,
    ReadyMessage,
    ReleaseMessage,
    decode_ready,
    encode_frame,
    encode_release,
)
from stage.core.wire.pose import POSE_TOPIC_PREFIX, PoseMessage, WireError
from stage.core.wire.state import StateFollower

log = logging.getLogger(__name__)

MAX_DRAIN = 10_000
"""At most this many messages are read from one input socket per frame."""
SNDHWM = 1000
SETTLE_NS = 1_000_000
"""After sending a release the leader leaves the cores to the nodes this long before its bookkeeping."""


@dataclass
class LeaderSettings:
    rate: Fraction
    frames_endpoint: str
    ready_endpoint: str
    barrier_timeout_s: float = 0.1
    latch_margin_s: float = 0.002
    pose_endpoint: str | None = None
    state_endpoint: str | None = None
    keys_dir: Path | None = None
    """CURVE keys folder for endpoints that leave loopback (default :func:`stage.core.keys.default_dir`)."""
    phase_lock: bool = True
    """Offset the frame grid so the latch falls just after a pose arrives (:mod:`stage.core.cluster.phase_lock`)."""
    phase_guard_s: float = 0.001
    """How long after the (late end of the) usual pose arrival the phase-locked latch falls."""
    hold_until_due: bool = True
    """Release no earlier than the frame is due (steady cadence); ``False`` releases as soon as the last member is
    ready, which the barrier benchmark uses to measure the barrier alone."""
    present_s: dict[str, float] = field(default_factory=dict)
    """Cameras with ``latency.mode: present``: camera → their ``latency.ms`` in seconds, added to the frame's expected
    present time (its due time plus the nodes' recent median lateness) to predict its pose to."""

    @classmethod
    def from_config(cls, config: StageConfig) -> LeaderSettings:
        """The frame clock of ``config``: its ``cluster`` section, and the pose and state streams it latches from."""
        cluster = config.cluster
        return cls(rate=cluster.frame_rate, frames_endpoint=cluster.frames, ready_endpoint=cluster.ready,
                   barrier_timeout_s=cluster.barrier_timeout_ms / 1000.0,
                   latch_margin_s=cluster.latch_margin_ms / 1000.0, pose_endpoint=config.endpoints.pose,
                   state_endpoint=config.endpoints.state, phase_lock=cluster.phase_lock,
                   phase_guard_s=cluster.phase_guard_ms / 1000.0, present_s=present_offsets_s(config))


class Inputs:
    """The leader's view of the tracking and the live state: the poses of every camera (with the history that
    per-camera delays need) and the live-state revision."""

    def __init__(self, on_pose: Callable[[PoseMessage], None] | None = None,
                 present_s: dict[str, float] | None = None) -> None:
        self.on_pose = on_pose
        """Called with every valid pose as it is read (the phase lock's arrival times)."""
        self.present_s = present_s or {}
        """Cameras predicted to the present time (:attr:`LeaderSettings.present_s`)."""
        self.rejects = RejectCounter()
        self.poses = PoseLatch(self.rejects)
        self.state = StateFollower(LiveState())
        self.held: dict[str, PoseMessage] | None = None

    def pose(self, frames: list[bytes], now_s: float) -> None:
        if self.poses.feed(frames, now_s) and self.on_pose is not None:
            camera = frames[0][len(POSE_TOPIC_PREFIX):].decode()
            self.on_pose(self.poses.poses[camera].message)

    def live(self, frames: list[bytes]) -> None:
        try:
            self.state.handle(frames)
        except WireError as exc:
            self.rejects.reject("state", exc)

    def latch(self, now_s: float, t_present_s: float | None = None) -> tuple[dict[str, PoseMessage], int]:
        """The poses and state revision of the next frame: per camera the newest pose that arrived at least its
        ``camera_delay_ms`` before ``now_s`` (monotonic), predicted to ``t_present_s`` (Unix seconds: when the frame
        is expected to appear) plus its offset for the cameras in :attr:`present_s`; while ``tracking_freeze`` is on,
        the poses of the frame it was turned on at."""
        live = self.state.state
        if live.tracking_freeze:
            if self.held is None:
                self.held = {c: p.message for c, p in self.poses.delayed(now_s, live.camera_delay_ms).items()}
            return self.held, self.state.rev
        self.held = None
        poses = {c: p.message for c, p in self.poses.delayed(now_s, live.camera_delay_ms).items()}
        if self.present_s and t_present_s is not None:
            poses = predict_to_present(poses, self.poses.history, t_present_s, self.present_s, live.camera_delay_ms)
        return poses, self.state.rev


class FrameLeader:
    """Binds ``cluster.frames`` (PUB) and ``cluster.ready`` (PULL); connects to the pose and state streams."""

    def __init__(self, settings: LeaderSettings, on_release: Callable[[ReleasedFrame], None] | None = None,
                 context: zmq.Context | None = None) -> None:
        self.settings = settings
        self.rate = settings.rate
        self.rate_text = format_frame_rate(settings.rate)
        self.id = uuid.uuid4().hex[:12]
        self.on_release = on_release
        self.membership = Membership()
        self.phase = PhaseLock(settings.rate, int(settings.phase_guard_s * 1e9), enabled=settings.phase_lock)
        self.inputs = Inputs(on_pose=self._pose_arrived, present_s=settings.present_s)
        self.lead = LatchLead(settings.rate, int(settings.latch_margin_s * 1e9))
        self.counters = {"frames": 0, "skipped": 0, "ready_rejects": 0}
        self.last_frame: int | None = None
        self.telemetry = ClusterTelemetry()
        self._next_stats_s = 0.0
        self._ready: dict[str, ReadyMessage] = {}
        self._own_context = context is None
        self.context = context or zmq.Context()
        self._sockets: list[zmq.Socket] = []
        try:
            self.pub = self._socket(zmq.PUB)
            self.pub.setsockopt(zmq.SNDHWM, SNDHWM)
            secure(self.pub, settings.frames_endpoint, server=True, directory=settings.keys_dir)
            self.pub.bind(settings.frames_endpoint)
            self.pull = self._socket(zmq.PULL)
            secure(self.pull, settings.ready_endpoint, server=True, directory=settings.keys_dir)
            self.pull.bind(settings.ready_endpoint)
            self.pose = self._sub(settings.pose_endpoint, POSE_TOPIC_PREFIX.encode())
            self.state = self._sub(settings.state_endpoint, b"state/")
        except (zmq.ZMQError, KeysError):
            self.close()
            raise
        self.frames_endpoint = self.pub.getsockopt_string(zmq.LAST_ENDPOINT)
        self.ready_endpoint = self.pull.getsockopt_string(zmq.LAST_ENDPOINT)
        self.poller = zmq.Poller()
        self.poller.register(self.pull, zmq.POLLIN)

    def _pose_arrived(self, pose: PoseMessage) -> None:
        """A pose's publish time for the phase lock (a stale one, republished while its tracker is lost, is no
        arrival of the tracker's)."""
        if not pose.stale:
            self.phase.arrived(pose.camera, round(pose.t_pub * 1e9))

    def _socket(self, kind: int) -> zmq.Socket:
        sock = self.context.socket(kind)
        sock.setsockopt(zmq.LINGER, 0)
        self._sockets.append(sock)
        return sock

    def _sub(self, endpoint: str | None, topic: bytes) -> zmq.Socket | None:
        if not endpoint:
            return None
        sock = self._socket(zmq.SUB)
        sock.setsockopt(zmq.SUBSCRIBE, topic)
        secure(sock, endpoint, server=False, directory=self.settings.keys_dir)
        sock.connect(endpoint)
        return sock

    # -- one frame ---------------------------------------------------------------------------------------------------

    def _take_ready(self, barrier: FrameBarrier | None, late: list[ReadyMessage]) -> None:
        for frames in drain(self.pull, MAX_DRAIN):
            now_ns = time.time_ns()
            try:
                ready = decode_ready(frames)
            except WireError as exc:
                self.counters["ready_rejects"] += 1
                log.warning("malformed ready report dropped: %s", exc)
                continue
            if self.membership.heard(ready.node):
                log.info("node %s joining at the next frame", ready.node)
            if barrier is not None and ready.leader == self.id and barrier.ready(ready.node, ready.frame, now_ns):
                self._ready[ready.node] = ready
            else:
                late.append(ready)

    def _wait(self, until_ns: int, barrier: FrameBarrier | None, late: list[ReadyMessage],
              stop_when_complete: bool) -> None:
        """Take ready reports until ``until_ns`` (or the barrier completes, when asked). ZeroMQ polls in whole
        milliseconds (a shorter timeout is 0, a busy loop that takes a core from the nodes): the last millisecond is
        slept, then the socket is read once more."""
        while True:
            if stop_when_complete and barrier is not None and barrier.complete:
                return
            left_ns = until_ns - time.time_ns()
            if left_ns <= 0:
                return
            if left_ns >= 1_000_000:
                if self.poller.poll(left_ns // 1_000_000):
                    self._take_ready(barrier, late)
            else:
                time.sleep(left_ns / 1e9)
                self._take_ready(barrier, late)

    def _latch_inputs(self, t_frame_ns: int) -> tuple[dict[str, PoseMessage], int]:
        if self.state is not None:
            for frames in drain(self.state, MAX_DRAIN):
                self.inputs.live(frames)
        now = time.monotonic()
        if self.pose is not None:
            for frames in drain(self.pose, MAX_DRAIN):
                self.inputs.pose(frames, now)
        t_present = t_frame_ns / 1e9
        if self.inputs.present_s:  # when the frame will appear: due, plus how late the nodes present lately
            t_present += self.telemetry.present_after_due_p50_s()
        return self.inputs.latch(now, t_present)

    def step(self) -> ReleasedFrame:
        """Run one frame: wait for its latch time, latch, send, barrier, release."""
        late: list[ReadyMessage] = []
        lead_ns = self.lead.lead_ns()
        offset_ns = round(self.phase.offset_ns)
        phase_state = self.phase.state if self.phase.enabled else "off"
        number = next_frame(self.last_frame, time.time_ns(), self.rate, offset_ns)
        if self.last_frame is not None and number > self.last_frame + 1:
            self.counters["skipped"] += number - self.last_frame - 1
        t_due = due_ns(number, self.rate, offset_ns)
        self._wait(t_due - lead_ns, None, late, stop_when_complete=False)
        members = self.membership.boundary()
        poses, state_rev = self._latch_inputs(t_due)
        t_latch = time.time_ns()
        message = FrameMessage(v=WIRE_MAJOR, leader=self.id, frame=number, rate=self.rate_text,
                               t_frame=t_due / 1e9, t_latch=t_latch / 1e9, state_rev=state_rev, poses=poses,
                               members=members, barrier_timeout_ms=self.settings.barrier_timeout_s * 1000.0)
        self.pub.send_multipart(encode_frame(message))
        barrier = FrameBarrier(number, members)
        self._ready = {}
        deadline = t_due + int(self.settings.barrier_timeout_s * 1e9)
        self._wait(deadline, barrier, late, stop_when_complete=True)
        dropped = barrier.missing()
        if dropped:
            self.membership.drop(dropped)
            log.warning("frame %d: dropped %s from the barrier (not ready %.0f ms after the frame was due)",
                        number, ", ".join(dropped), self.settings.barrier_timeout_s * 1000.0)
        else:
            last = barrier.last_ready_ns()
            if last is not None:
                self.lead.record(last - t_latch)
            if self.settings.hold_until_due:
                self._wait(t_due, barrier, late, stop_when_complete=False)
        for node in barrier.ready_at:
            self.membership.nodes[node].frames_ready += 1
        t_release = time.time()
        self.pub.send_multipart(encode_release(ReleaseMessage(
            v=WIRE_MAJOR, leader=self.id, frame=number, t_release=t_release,
            ready=sorted(barrier.ready_at), dropped=dropped)))
        # The release's latency is the nodes' threads waking up (ZeroMQ's and Python's, per node): give them the cores
        # before the bookkeeping, as long as the next latch is not near.
        next_latch = t_due + self.lead.period_ns - lead_ns
        self._wait(min(time.time_ns() + SETTLE_NS, next_latch - SETTLE_NS), None, late, stop_when_complete=False)
        self.last_frame = number
        self.counters["frames"] += 1
        released = ReleasedFrame(message, t_release, dict(self._ready), dropped, late,
                                 {node: ns / 1e9 for node, ns in barrier.ready_at.items()}, offset_ns / 1e6,
                                 phase_state)
        self.telemetry.record(released)
        if self.on_release is not None:
            self.on_release(released)
        self.phase.advance(self.lead.lead_ns())
        if t_release >= self._next_stats_s:
            self._next_stats_s = t_release + STATS_INTERVAL_S
            self.pub.send_multipart(encode_stats(self.stats(t_release)))
        return released

    def stats(self, now: float) -> ClusterStats:
        """The cluster's state for ``stage status`` (also published once a second as ``cluster/stats``)."""
        return self.telemetry.stats(leader=self.id, rate=self.rate_text, t_pub=now, frames=self.counters["frames"],
                                    skipped=self.counters["skipped"], ready_rejects=self.counters["ready_rejects"],
                                    membership=self.membership, phase=self.phase)

    def run(self, stop: Callable[[], bool], max_frames: int | None = None) -> int:
        """Frames until ``stop()`` is true (checked once a frame) or ``max_frames`` were released."""
        log.info("frame clock %s: %s fps, frames on %s, ready on %s", self.id, self.rate_text, self.frames_endpoint,
                 self.ready_endpoint)
        done = 0
        while not stop() and (max_frames is None or done < max_frames):
            self.step()
            done += 1
        return done

    def close(self) -> None:
        for sock in self._sockets:
            sock.close(linger=0)
        self._sockets.clear()
        if self._own_context:
            stop_authenticator(self.context)
            self.context.term()
