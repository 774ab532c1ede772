"""Chaos: SIGKILL and SIGSTOP the children of a running show at random moments, then the orchestrator itself; the
show must come back each time (watchdog and supervisor) with the operator's state (journal), leaving no process
behind. The short variant injects one fault of each kind and runs in CI; ``--run-slow`` runs many random rounds
(``VPSTAGE_CHAOS_ROUNDS``, default 20; seed ``VPSTAGE_CHAOS_SEED``). Nothing here asserts a time: waits have
generous timeouts, and what happened is printed (``-s``) and written to ``chaos.json`` in the test's folder."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path

import pytest

from tests.orchestrator.test_durable_stage import WATCHDOG, journal_rev
from tests.orchestrator.test_stage_up import Stage, alive, wait_until

CHILDREN = ("tracking", "render-n1")
SIGNALS = (signal.SIGKILL, signal.SIGSTOP)


def recovered(st: Stage, name: str, old_pid: int) -> dict:
    """Wait until ``name`` runs as a new process and the show renders and tracks again."""
    wait_until(f"{name} back after its fault",
               lambda: (p := st.status()["processes"][name])["pid"] not in (None, old_pid)
               and p["state"] == "running", 60.0)
    return st.wait_rendering()


def chaos(tmp: Path, faults: list[tuple[str, signal.Signals]], rng: random.Random) -> dict:
    record: dict = {"faults": [], "orchestrator_kills": 0}
    st = Stage(tmp, extra_yaml=WATCHDOG)
    second = None
    try:
        st.wait_rendering()
        for i, (name, sig) in enumerate(faults):
            time.sleep(rng.uniform(0.0, 1.5))  # a random moment of the running show
            pid = st.status()["processes"][name]["pid"]
            st.pids()
            os.kill(pid, sig)
            hit = time.monotonic()
            st.request("set", param="exposure_ev", value=round(rng.uniform(-3, 3), 2))  # the show keeps changing
            doc = recovered(st, name, pid)
            record["faults"].append({"round": i, "child": name, "signal": sig.name,
                                     "recovered_after_s": round(time.monotonic() - hit, 2)})
            assert not alive(pid)
            assert doc["processes"][name]["restarts"] >= 1
        expected = st.status()["parameters"]["exposure_ev"]
        rev = st.status()["rev"]
        wait_until("journal written", lambda: journal_rev(tmp) == rev, 10.0)
        pids = st.pids()
        os.kill(st.proc.popen.pid, signal.SIGKILL)
        st.proc.wait(10)
        record["orchestrator_kills"] += 1
        second = Stage(tmp, extra_yaml=WATCHDOG)
        second.seen_pids |= st.seen_pids
        doc = second.wait_rendering()
        assert doc["parameters"]["exposure_ev"] == expected
        assert not [p for p in pids if alive(p)]
        record["restored_rev"] = doc["journal"]["restored"]["rev"]
    finally:
        for s in (st, second):
            if s is not None:
                s.close()
    record["left_running"] = [p for p in (st.seen_pids | (second.seen_pids if second else set())) if alive(p)]
    assert record["left_running"] == []
    (tmp / "chaos.json").write_text(json.dumps(record, indent=2))
    print("\nchaos:", json.dumps(record))
    return record


def test_chaos_short(tmp_path: Path) -> None:
    rng = random.Random(11)
    record = chaos(tmp_path, [("render-n1", signal.SIGSTOP), ("tracking", signal.SIGKILL)], rng)
    assert len(record["faults"]) == 2 and record["orchestrator_kills"] == 1


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_chaos_long(tmp_path: Path) -> None:
    seed = int(os.environ.get("VPSTAGE_CHAOS_SEED", "2026"))
    rounds = int(os.environ.get("VPSTAGE_CHAOS_ROUNDS", "20"))
    rng = random.Random(seed)
    faults = [(rng.choice(CHILDREN), rng.choice(SIGNALS)) for _ in range(rounds)]
    record = chaos(tmp_path, faults, rng)
    assert len(record["faults"]) == rounds
