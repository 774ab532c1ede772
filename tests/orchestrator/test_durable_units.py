"""The durable-state, watchdog and load-budget pieces on their own: journal, store restore, disk worker, run lock and
orphan sweep, preset cap, OSC coalescing and reply credit, bounded stats publishers, keys."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from stage.app.orchestrator.disk import DiskWorker
from stage.app.orchestrator.health import Health
from stage.app.orchestrator.journal import Journal, JournalError, JournalKeeper, decode_journal, encode_journal
from stage.app.orchestrator.osc_server import OscServer
from stage.app.orchestrator.presets import PresetError, write_preset
from stage.app.orchestrator.runlock import LockedError, RunLock, remove_stale_running_copies, start_time
from stage.app.orchestrator.store import ChangeError
from stage.app.orchestrator.watchdog import WatchdogPolicy, hung_for
from stage.core import keys
from stage.core.wire import render_stats
from tests.orchestrator import Tablet, encode, make_store, pump
from tests.procs import free_udp_port

# ---- journal ------------------------------------------------------------------------------------------------


def test_journal_round_trip_and_refusals() -> None:
    j = Journal(rev=7, state={"exposure_ev": 1.5}, undo=[{"exposure_ev": 0.0}], saved_at=12.5, config="/x.yaml")
    assert decode_journal(encode_journal(j)) == j
    for bad in (b"", b"[]", b'{"v": 2, "rev": 1, "state": {}}', b'{"v": 1, "rev": -1, "state": {}}',
                b'{"v": 1, "rev": 1, "state": []}', b'{"v": 1, "rev": 1, "state": {}, "undo": [1]}'):
        with pytest.raises(JournalError):
            decode_journal(bad)


def test_store_restore_keeps_what_this_stage_has(tmp_path: Path) -> None:
    before = make_store(tmp_path / "presets")
    before.set("exposure_ev", 1.5)
    before.set("walls.main.brightness", 0.25)
    before.set_scene("night")
    before.set("light_cards.key.intensity", 3.0)
    state = before.state.model_dump(mode="json")
    state["walls"]["gone"] = {"brightness": 0.1, "enabled": True}  # a wall the stage no longer has
    journal = Journal(before.rev, state, [u.model_dump(mode="json") for u in before.undo_history()])

    after = make_store(tmp_path / "presets")
    assert after.restore(journal) == []
    assert after.parameters() == before.parameters() and after.rev == before.rev
    assert after.state.scene == before.state.scene and "gone" not in after.state.walls
    assert after.undo()["light_cards.key.intensity"] == 2.0  # the undo history came back too
    assert after.undo()["scene"].endswith("demo.yaml")

    unknown_scene = {**state, "scene": "scenes/nowhere.yaml"}
    fresh = make_store(tmp_path / "presets")
    problems = fresh.restore(Journal(3, unknown_scene))
    assert len(problems) == 1 and "nowhere" in problems[0]
    assert fresh.parameters()["exposure_ev"] == 1.5 and fresh.state.scene.endswith("demo.yaml")


def test_journal_keeper_writes_off_the_loop_and_moves_a_corrupt_file_aside(tmp_path: Path) -> None:
    store = make_store(tmp_path / "presets")
    worker = DiskWorker()
    keeper = JournalKeeper(tmp_path / "presets", worker, tmp_path / "stage.yaml", min_interval_s=0.0)
    snapshot = lambda: (store.state, store.undo_history(), store.rev)  # noqa: E731
    assert not keeper.tick(0.0, snapshot)  # nothing changed yet
    store.set("exposure_ev", -3.0)
    keeper.changed()
    assert keeper.tick(0.0, snapshot)
    assert keeper.write_final(snapshot)
    worker.completions()
    assert keeper.counters["writes"] in (1, 2) and keeper.counters["write_errors"] == 0  # the second may replace
    loaded = keeper.load()
    assert loaded is not None and loaded.state["exposure_ev"] == -3.0 and loaded.rev == store.rev
    assert not [p for p in (tmp_path / "presets").iterdir() if p.name.endswith(".tmp")]
    keeper.path.write_bytes(b"{half a jour")
    assert keeper.load() is None and (keeper.path.parent / ".live-state.json.corrupt").exists()
    worker.close()


# ---- disk worker, presets ----------------------------------------------------------------------------------


def test_disk_worker_replaces_waiting_jobs_and_refuses_a_flood() -> None:
    gate = threading.Event()
    worker = DiskWorker(max_pending=3)
    ran: list[str] = []
    started = threading.Event()
    assert worker.submit(lambda: (started.set(), gate.wait()))  # occupies the thread
    assert started.wait(10.0)
    assert worker.submit(lambda: ran.append("journal-1"), key="journal")
    assert worker.submit(lambda: ran.append("journal-2"), key="journal")  # replaces the waiting one
    assert worker.submit(lambda: ran.append("a"))
    assert worker.submit(lambda: ran.append("b"))
    assert not worker.submit(lambda: ran.append("c"))  # 3 waiting: refused
    results: list[object] = []
    assert worker.submit(lambda: 1 / 0, lambda r, e: results.append(type(e))) is False
    gate.set()
    assert worker.flush(10.0)
    assert ran == ["journal-2", "a", "b"]
    assert worker.counters["refused_busy"] == 2 and worker.counters["replaced"] == 1
    worker.close()


def test_presets_are_capped_and_saved_on_the_worker(tmp_path: Path) -> None:
    store = make_store(tmp_path / "presets")
    for i in range(3):
        write_preset(store.presets_dir, f"p{i}", store.state, limit=3)
    with pytest.raises(PresetError, match="limit"):
        write_preset(store.presets_dir, "p3", store.state, limit=3)
    write_preset(store.presets_dir, "p1", store.state, limit=3)  # overwriting stays allowed

    store.disk = DiskWorker()
    done: list[tuple[object, object]] = []
    store.save_preset_later("later", lambda path, error: done.append((path, error)))
    with pytest.raises(ChangeError):
        store.save_preset_later("../escape", lambda *_: None)
    assert store.disk.flush(10.0) and store.disk.completions() == 1
    assert done[0][1] is None and Path(done[0][0]).name == "later.yaml"
    # The folder cannot be created (a file is in the way): an answer, not an exception in the loop.
    (tmp_path / "blocked").write_text("x")
    store.presets_dir = tmp_path / "blocked" / "presets"
    store.save_preset_later("x", lambda path, error: done.append((path, error)))
    store.disk.flush(10.0)
    store.disk.completions()
    assert done[1][0] is None and done[1][1].reason == "invalid" and "cannot make" in str(done[1][1])
    store.disk.close()


# ---- OSC budget ----------------------------------------------------------------------------------------------


def test_osc_coalesces_runs_of_changes_but_not_across_an_undo(tmp_path: Path) -> None:
    store = make_store(tmp_path / "presets")
    server = OscServer(store, "127.0.0.1", 0, ["127.0.0.0/8"])
    tablet = Tablet(server)
    try:
        for value in (0.5, 1.0, 1.5):
            tablet.send("/stage/exposure", value, handle=False)
        tablet.send("/stage/undo", handle=False)
        tablet.send("/stage/exposure", 2.0, handle=False)
        pump(server, 5)
        # 0.5 and 1.0 are overwritten by 1.5 in the same run; the undo then reverts 1.5 to 0.0.
        assert server.counters["coalesced"] == 2 and server.counters["applied"] == 3
        assert store.state.exposure_ev == 2.0
        store.undo()
        assert store.state.exposure_ev == 0.0
    finally:
        tablet.close()
        server.close()


def test_osc_replies_are_never_larger_than_requests_for_other_clients(tmp_path: Path) -> None:
    store = make_store(tmp_path / "presets")
    capped = OscServer(store, "127.0.0.1", 0, ["127.0.0.0/8"], reply_clients=[])
    tablet = Tablet(capped)
    try:
        request = encode("/stage/state", [])
        replies = tablet.send_raw(request)
        sent_back = sum(len(encode(a, args)) for a, args in replies)
        assert sent_back <= len(request) and capped.counters["replies_capped"] > 0
    finally:
        tablet.close()
        capped.close()
    full = OscServer(store, "127.0.0.1", 0, ["127.0.0.0/8"], reply_clients=["127.0.0.0/8"])
    tablet = Tablet(full)
    try:
        replies = tablet.send("/stage/state")
        assert replies[-1][0] == "/stage/state/done" and full.counters["replies_capped"] == 0
    finally:
        tablet.close()
        full.close()


def test_stats_from_unknown_nodes_are_counted_not_kept() -> None:
    health = Health(["n1"])
    base = dict(v=1, t_pub=0.0, uptime_s=1.0, display="headless", scene=None, state_rev=0, frame=1, fps=60.0,
                missed_frames=0, pose_age_ms={}, stale_cameras=[], rejects={}, state_ignored=0, frame_ms_p50=1.0,
                frame_ms_p99=2.0, pose_to_frame_ms_p50=None, pose_to_frame_ms_p99=None)
    for i in range(500):
        health.on_render(render_stats.encode(render_stats.RenderStats(node=f"flood{i}", **base)), 1.0)
    health.on_render(render_stats.encode(render_stats.RenderStats(node="n1", **base)), 2.0)
    assert list(health.render) == ["n1"] and health.unknown_nodes == 500
    assert health.last_report("render-n1") == 2.0 and health.last_report("tracking") is None


# ---- watchdog -----------------------------------------------------------------------------------------------


def test_watchdog_deadlines() -> None:
    policy = WatchdogPolicy(timeout_s=5.0, startup_s=30.0)
    assert hung_for(policy, now=29.0, started_at=0.0, last_report=None) is None  # still starting
    assert hung_for(policy, now=31.0, started_at=0.0, last_report=None) == pytest.approx(1.0)
    assert hung_for(policy, now=40.0, started_at=0.0, last_report=36.0) is None
    assert hung_for(policy, now=42.0, started_at=0.0, last_report=36.0) == pytest.approx(1.0)
    # A report of the previous process does not count for the restarted one.
    assert hung_for(policy, now=50.0, started_at=45.0, last_report=44.0) is None
    assert hung_for(WatchdogPolicy(timeout_s=0.0), now=1e9, started_at=0.0, last_report=None) is None


# ---- run lock, orphans, leftovers ---------------------------------------------------------------------------


def test_run_lock_is_exclusive(tmp_path: Path) -> None:
    first = RunLock(tmp_path / "presets")
    first.acquire()
    holder = subprocess.run([sys.executable, "-c", "import sys; from stage.app.orchestrator.runlock import RunLock;"
                             "RunLock(sys.argv[1]).acquire()", str(tmp_path / "presets")],
                            capture_output=True, text=True, timeout=30)
    assert holder.returncode == 1 and f"pid {os.getpid()}" in holder.stderr
    with pytest.raises(LockedError):  # flock is per open file: a second lock in this process is refused too
        RunLock(tmp_path / "presets").acquire()
    first.release()
    RunLock(tmp_path / "presets").acquire()


def test_sweep_kills_a_stopped_orphan_but_never_a_recycled_pid(tmp_path: Path) -> None:
    orphan = subprocess.Popen(["sleep", "60"], start_new_session=True)
    other = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        os.kill(orphan.pid, signal.SIGSTOP)
        lock = RunLock(tmp_path)
        lock.record_children({"tracking": orphan.pid, "render-n1": other.pid})
        # ``other`` stands for a pid reused by an unrelated process: its recorded start time differs.
        doc = json.loads((tmp_path / ".children.json").read_text())
        assert doc["children"]["render-n1"] == [other.pid, start_time(other.pid)]
        doc["children"]["render-n1"][1] = 1
        (tmp_path / ".children.json").write_text(json.dumps(doc))
        assert lock.sweep_orphans() == [f"tracking (pid {orphan.pid})"]
        assert orphan.wait(5) == -signal.SIGKILL and other.poll() is None
        assert lock.sweep_orphans() == []  # the record is gone
    finally:
        for p in (orphan, other):
            p.kill()
            p.wait()


def test_stale_running_copies_are_removed(tmp_path: Path) -> None:
    config = tmp_path / "stage.yaml"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".stage.running-{dead.pid}.yaml"
    live = tmp_path / f".stage.running-{os.getppid()}.yaml"
    other = tmp_path / f".other.running-{dead.pid}.yaml"
    for p in (stale, live, other):
        p.write_text("x")
    assert remove_stale_running_copies(config) == [stale]
    assert live.exists() and other.exists()


# ---- keys ---------------------------------------------------------------------------------------------------


def test_keys_are_private_and_refused_when_others_can_read_them(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    made = keys.ensure_keys(directory)
    assert {p.name for p in made} == {"server.key", "server.key_secret", "client.key", "client.key_secret"}
    assert keys.ensure_keys(directory) == []  # kept
    assert (directory.stat().st_mode & 0o777) == 0o700
    assert (directory / "client.key_secret").stat().st_mode & 0o077 == 0
    assert (directory / "authorized" / "client.key").is_file()
    pair, server_public = keys.client_keys(directory)
    assert len(pair.public) == 40 and len(server_public) == 40
    os.chmod(directory / "client.key_secret", 0o644)
    with pytest.raises(keys.KeysError, match="readable by other users"):
        keys.client_keys(directory)
    with pytest.raises(keys.KeysError, match="stage keys"):
        keys.client_keys(tmp_path / "none")


# ---- tracking sockets ---------------------------------------------------------------------------------------


def test_unicast_tracking_port_in_use_is_refused_and_senders_filtered() -> None:
    from stage.core.config.sources import FreeDSource
    from tracking.freed import encode_d1
    from tracking.sources.freed_input import FreeDInput
    from tracking.sources.udp import open_udp

    port = free_udp_port()
    first = FreeDInput(FreeDSource(name="f", kind="freed", bind="127.0.0.1", port=port,
                                   allowed_senders=["127.0.0.2"]))
    try:
        with pytest.raises(OSError):
            open_udp("127.0.0.1", port)  # no SO_REUSEADDR: a second receiver cannot steal the datagrams
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            s.sendto(encode_d1(1, 0, 0, 0, 0, 0, 0, 0, 0), ("127.0.0.1", port))
            select.select([first.sock], [], [], 2.0)
            assert first.read(0.0) == []
        assert first.counters.rejects["sender_not_allowed"] == 1
    finally:
        first.close()


def test_sockets_leaving_loopback_use_curve_and_refuse_strangers(tmp_path: Path) -> None:
    """The pose stream published on every interface: an authorized CURVE subscriber gets it, a plain one and one
    with unknown keys get nothing (real sockets on 127.0.0.1, reached through a ``tcp://*`` bind)."""
    import zmq

    from tracking.publisher import PosePublisher

    assert keys.is_loopback("tcp://127.0.0.1:5556") and keys.is_loopback("ipc:///tmp/x")
    assert not keys.is_loopback("tcp://*:5556") and not keys.is_loopback("tcp://0.0.0.0:5556")
    ctx = zmq.Context()
    pub = PosePublisher(ctx, "tcp://*:0")
    port = pub.endpoint.rsplit(":", 1)[1]
    stranger = tmp_path / "stranger"
    keys.ensure_keys(stranger)
    (stranger / "server.key").write_bytes((keys.default_dir() / "server.key").read_bytes())
    subs = {}
    try:
        for name, directory in (("authorized", None), ("stranger", stranger), ("plain", "")):
            sock = ctx.socket(zmq.SUB)
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.SUBSCRIBE, b"")
            if directory != "":
                assert keys.secure(sock, "tcp://10.0.0.1:1", server=False, directory=directory)
            sock.connect(f"tcp://127.0.0.1:{port}")
            subs[name] = sock
        got = {name: 0 for name in subs}
        for _ in range(100):
            pub.publish([b"pose/cam1", b"x"])
            pub.handle_subscriptions()
            for name, sock in subs.items():
                while sock.poll(0):
                    sock.recv_multipart()
                    got[name] += 1
            if got["authorized"] >= 3:
                break
            subs["authorized"].poll(50)
        assert got["authorized"] >= 3 and got["stranger"] == 0 and got["plain"] == 0
    finally:
        for sock in subs.values():
            sock.close(linger=0)
        pub.close()
        keys.stop_authenticator(ctx)
        ctx.term()


def test_stage_keys_makes_and_shows_the_keys(tmp_path: Path) -> None:
    directory = tmp_path / "k"
    run = subprocess.run([sys.executable, "-m", "stage.app.cli", "keys", "--keys", str(directory)], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "made now" in run.stdout and keys.load_pair(directory, "server").public.decode() in run.stdout
    again = subprocess.run([sys.executable, "-m", "stage.app.cli", "keys", "--keys", str(directory)],
                           capture_output=True, text=True, timeout=60)
    assert "already there" in again.stdout
    os.chmod(directory, 0o755)
    bad = subprocess.run([sys.executable, "-m", "stage.app.cli", "status", "--keys", str(directory), "--control",
                          "tcp://127.0.0.1:9", "--timeout", "0.2"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and bad.stderr.startswith("stage status: error: ") and "chmod 700" in bad.stderr


def test_a_flood_of_preset_saves_is_refused_not_queued(tmp_path: Path) -> None:
    store = make_store(tmp_path / "presets")
    store.disk = DiskWorker(max_pending=2)
    gate, started = threading.Event(), threading.Event()
    store.disk.submit(lambda: (started.set(), gate.wait()))
    assert started.wait(10.0)
    server = OscServer(store, "127.0.0.1", 0, ["127.0.0.0/8"])
    tablet = Tablet(server)
    try:
        for i in range(6):
            tablet.send("/stage/preset/save", f"p{i}", handle=False)
        pump(server, 6)
        busy = tablet.errors(tablet.replies())
        assert len(busy) == 4 and all("busy" in e for e in busy) and server.counters["rejected_busy"] == 4
        gate.set()
        assert store.disk.flush(10.0)
        store.disk.completions()
        assert [a for a, _ in tablet.replies()] == ["/stage/preset/saved"] * 2
        assert store.presets() == ["p0", "p1"]
    finally:
        tablet.close()
        server.close()
        store.disk.close()


def test_a_routing_failure_inside_a_batch_goes_to_the_last_resort(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from stage.app.orchestrator import osc_server

    store = make_store(tmp_path / "presets")
    server = OscServer(store, "127.0.0.1", 0, ["127.0.0.0/8"])
    tablet = Tablet(server)
    real = osc_server.route

    def route(address: str, *args: object):
        if address == "/stage/undo":
            raise RuntimeError("router on fire")
        return real(address, *args)

    monkeypatch.setattr(osc_server, "route", route)
    try:
        tablet.send("/stage/undo", handle=False)
        tablet.send("/stage/exposure", 1.0, handle=False)
        pump(server, 2)
        assert server.counters["rejected_internal"] == 1 and store.state.exposure_ev == 1.0
    finally:
        tablet.close()
        server.close()
