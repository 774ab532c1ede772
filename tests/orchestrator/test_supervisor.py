"""The supervisor with real child processes: restart policy, logs, stop, and no orphans when the parent dies."""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest

from stage.app.orchestrator.exit_reason import last_error_line
from stage.app.orchestrator.status_text import _process_lines
from stage.app.orchestrator.supervisor import ChildSpec, RestartPolicy, Supervisor, rotate_log
from tests.procs import REPO, Proc

SLEEPER = [sys.executable, "-c", "import time; print('child up', flush=True); time.sleep(60)"]
CRASHER = [sys.executable, "-c", "import sys; print('crashing', flush=True); sys.exit(3)"]
STUBBORN = [sys.executable, "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); "
            "time.sleep(60)"]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def tick_until(sup: Supervisor, cond, timeout_s: float = 5.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        sup.tick()
        if cond():
            return time.monotonic() - start
        time.sleep(0.01)
    raise AssertionError(f"condition not met in {timeout_s}s: {sup.status()}")


@pytest.fixture
def sup(tmp_path: Path):
    s = Supervisor(tmp_path / "logs", stop_timeout_s=1.0)
    yield s
    s.stop_all()


def test_policy_first_restart_at_once_then_exponential_backoff_capped() -> None:
    policy = RestartPolicy()
    assert [policy.delay(n) for n in range(1, 9)] == [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_crashed_child_restarts_within_a_second_and_history_is_kept(sup: Supervisor) -> None:
    child = sup.add(ChildSpec("sleeper", SLEEPER))
    first = child.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    took = tick_until(sup, lambda: child.pid not in (None, first))
    assert took < 1.0
    status = sup.status()["sleeper"]
    assert status["restarts"] == 1 and status["last_exit"] == -signal.SIGKILL and status["state"] == "running"
    log = sup.log_path("sleeper").read_text()
    assert log.count("=== ") == 2 and log.count("child up") >= 1
    assert any("SIGKILL" in e for e in sup.events)


def test_repeated_crashes_back_off(tmp_path: Path) -> None:
    sup = Supervisor(tmp_path, RestartPolicy(backoff_start_s=0.3))
    try:
        child = sup.add(ChildSpec("crasher", CRASHER))
        tick_until(sup, lambda: child.restarts >= 2)
        assert child.last_exit == 3
        # Third crash in a row: the next restart waits 0.6 s.
        tick_until(sup, lambda: child.restart_at is not None and child.consecutive == 3)
        assert 0.5 < child.restart_at - time.monotonic() <= 0.6
        assert sup.status()["crasher"]["state"] == "restarting"
    finally:
        sup.stop_all()


def test_stop_all_escalates_to_sigkill_and_reaps(sup: Supervisor) -> None:
    a = sup.add(ChildSpec("a", SLEEPER))
    b = sup.add(ChildSpec("stubborn", STUBBORN))
    # Wait until the stubborn child has installed its SIGTERM handler (it says "up" in its log after that).
    tick_until(sup, lambda: "\nup\n" in sup.log_path("stubborn").read_text())
    pids = [a.pid, b.pid]
    start = time.monotonic()
    codes = sup.stop_all()
    assert time.monotonic() - start < 3.0
    assert codes == {"a": -signal.SIGTERM, "stubborn": -signal.SIGKILL}
    assert not [p for p in pids if alive(p)]
    sup.tick()
    assert a.pid is None and a.restarts == 0  # no restart after stop


def test_log_rotates_by_size(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    for i in range(5):
        log.write_bytes(b"x" * (100 + i))
        rotate_log(log, max_bytes=50, keep=3)
    assert not log.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.log.1", "x.log.2", "x.log.3"]
    assert (tmp_path / "x.log.1").stat().st_size == 104


def test_children_die_with_a_sigkilled_parent(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from stage.app.orchestrator.supervisor import ChildSpec, Supervisor
        sup = Supervisor(Path({str(tmp_path)!r}))
        kids = [sup.add(ChildSpec(f"c{{i}}", {SLEEPER!r})) for i in range(2)]
        print("pids", *[k.pid for k in kids], file=sys.stderr, flush=True)
        time.sleep(60)
    """)
    parent = Proc(["-c", script], cwd=REPO)
    pids: list[int] = []
    try:
        pids = [int(p) for p in parent.wait_for(r"pids (\d+) (\d+)", 15.0).groups()]
        assert all(alive(p) for p in pids)
        os.kill(parent.popen.pid, signal.SIGKILL)
        parent.popen.wait(5)
        deadline = time.monotonic() + 5.0
        while any(alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not [p for p in pids if alive(p)], "children outlived their SIGKILLed parent"
    finally:
        parent.kill()
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_missing_executable_is_a_typed_error(sup: Supervisor) -> None:
    from stage.app.orchestrator.supervisor import SupervisorError

    with pytest.raises(SupervisorError, match="cannot start"):
        sup.add(ChildSpec("ghost", ["/nonexistent/binary"]))


def test_deliberate_restart_does_not_block_the_callers_loop(sup: Supervisor) -> None:
    """A reload's restart sends SIGTERM and returns; the supervision tick finishes the stop (SIGKILL after the
    timeout) and starts the replacement, so the control loop is never held for ``stop_timeout_s``."""
    child = sup.add(ChildSpec("stubborn", STUBBORN))
    tick_until(sup, lambda: "\nup\n" in sup.log_path("stubborn").read_text())
    old = child.pid
    sup.restart({"stubborn": None})
    assert alive(old) and child.pid == old  # returned while the old process still runs
    assert sup.status()["stubborn"]["state"] == "stopping" and child.reloads == 1
    sup.tick()
    assert child.pid == old  # still within the timeout: nothing forced yet
    sup.tick(time.monotonic() + 2.0)  # past stop_timeout_s (1 s)
    assert not alive(old) and child.last_exit == -signal.SIGKILL
    assert child.pid not in (None, old) and child.restarts == 0 and sup.status()["stubborn"]["state"] == "running"


def test_remove_does_not_block_and_never_restarts(sup: Supervisor) -> None:
    sup.add(ChildSpec("sleeper", SLEEPER))
    child = sup.add(ChildSpec("stubborn", STUBBORN))
    tick_until(sup, lambda: "\nup\n" in sup.log_path("stubborn").read_text())
    pid = child.pid
    sup.remove("stubborn")
    assert "stubborn" not in sup.status() and alive(pid)
    sup.tick(time.monotonic() + 2.0)
    assert not alive(pid)
    sup.tick()
    assert child.pid is None and "stubborn" not in sup.status()


def test_check_startable_changes_nothing_and_names_the_problem(sup: Supervisor, tmp_path: Path) -> None:
    from stage.app.orchestrator.supervisor import SupervisorError

    child = sup.add(ChildSpec("sleeper", SLEEPER))
    pid = child.pid
    sup.check_startable("sleeper")
    with pytest.raises(SupervisorError, match="cannot start /nonexistent/binary"):
        sup.check_startable("ghost", ChildSpec("ghost", ["/nonexistent/binary"]))
    blocked = Supervisor(tmp_path / "a-file" / "logs")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(SupervisorError, match="cannot open log"):
        blocked.check_startable("sleeper", ChildSpec("sleeper", SLEEPER))
    assert child.pid == pid and "ghost" not in sup.status()


FAILING = [sys.executable, "-c", "import logging, sys; logging.basicConfig(); print('loading scene'); "
           "logging.getLogger('renderer.node').error('scene /x/broken.yaml: no such file'); "
           "print('shutting down'); sys.exit(1)"]


def test_exit_reason_is_the_last_error_line_of_that_run(sup: Supervisor) -> None:
    """``stage status`` says why a child exited, not only ``exited with code 1`` (issue 13, "why did it exit")."""
    child = sup.add(ChildSpec("failing", FAILING))
    tick_until(sup, lambda: child.last_exit == 1)
    status = sup.status()["failing"]
    assert status["last_exit_reason"] == "ERROR:renderer.node:scene /x/broken.yaml: no such file"
    assert any("exited with code 1" in e and "broken.yaml: no such file" in e for e in sup.events)
    text = "\n".join(_process_lines({"failing": status}))
    assert "last exit: ERROR:renderer.node:scene /x/broken.yaml: no such file" in text


def test_exit_reason_of_a_traceback_is_the_exception_line() -> None:
    text = ("=== 2026-01-01 starting x (restart 0): python\nTraceback (most recent call last):\n"
            '  File "x.py", line 1, in <module>\nValueError: bad value 3\n')
    assert last_error_line(text) == "ValueError: bad value 3"
    assert last_error_line("=== header only\n") is None
    assert last_error_line("just a line\nthe last words\n") == "the last words"
    routine = "2026-12-03 10:54:49,034 INFO renderer.node: render node n1: 1 walls on 1 outputs\n"
    assert last_error_line(routine) is None  # killed by a signal: no reason in the log, none made up
    assert last_error_line("usage: x\n" + routine) == "usage: x"
