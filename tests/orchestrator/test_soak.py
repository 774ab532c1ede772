"""Soak: a running show with a 240 Hz simulated camera and a steady stream of OSC changes. Reports the
orchestrator's memory growth, the OSC counters, the render node's missed frames and the tracking samples lost
(printed with ``-s`` and written to ``soak.json`` in the test's folder). It asserts only behaviour — every change
applied or coalesced, the last value held, no restart, no error — never a time or a rate. Short in CI (a few
seconds); ``--run-slow`` soaks for ``VPSTAGE_SOAK_S`` seconds (default 600)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from pythonosc.udp_client import SimpleUDPClient

from tests.orchestrator.test_stage_up import Stage, wait_until

CAMERA_HZ = 240
OSC_HZ = 100


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def soak(tmp: Path, seconds: float) -> dict:
    st = Stage(tmp)
    st.config.write_text(st.config.read_text().replace("rate_hz: 60", f"rate_hz: {CAMERA_HZ}"))
    st.close()
    st = Stage(tmp)
    try:
        first = st.wait_rendering()
        pid = st.proc.popen.pid
        osc = SimpleUDPClient("127.0.0.1", st.osc_port)
        start_rss = rss_kib(pid)
        samples = [start_rss]
        sent = 0
        t0 = time.monotonic()
        next_sample = t0 + 1.0
        value = 0.0
        while time.monotonic() - t0 < seconds:
            value = ((sent // 2 % 160) - 80) / 8.0  # exact in float32, inside -10..10 EV
            osc.send_message("/stage/exposure", value)
            osc.send_message("/stage/wall/main/brightness", (sent % 100) / 100.0)
            sent += 2
            if time.monotonic() >= next_sample:
                samples.append(rss_kib(pid))
                next_sample += 1.0
            time.sleep(1.0 / OSC_HZ)
        elapsed = time.monotonic() - t0
        doc = wait_until("last OSC value applied",
                         lambda: (d := st.status())["parameters"]["exposure_ev"] == value and d, 10.0)
        wait_until("every OSC datagram counted", lambda: st.status()["counters"]["osc"]["received"] >= sent, 10.0)
        doc = st.status()
        osc_counters = doc["counters"]["osc"]
        node = doc["nodes"]["n1"]
        source = doc["tracking"]["sources"]["sim"]
        samples.append(rss_kib(pid))
        record = {
            "seconds": round(elapsed, 1), "camera_hz": CAMERA_HZ, "osc_sent": sent,
            "osc": {k: osc_counters[k] for k in ("received", "applied", "coalesced", "replies_dropped")},
            "orchestrator_rss_kib": {"start": start_rss, "end": samples[-1], "max": max(samples),
                                     "growth": samples[-1] - start_rss},
            "render_missed_frames": node["missed_frames"] - (first["nodes"]["n1"]["missed_frames"] or 0),
            "render_frames": node["frame"] - first["nodes"]["n1"]["frame"],
            "tracking_accepted": source["accepted"], "tracking_rejects": source["rejects"],
            "tracking_rate_hz": source["rate_hz"],
        }
        assert osc_counters["received"] == sent
        assert osc_counters["applied"] + osc_counters["coalesced"] == sent
        assert all(p["restarts"] == 0 and p["hangs"] == 0 for p in doc["processes"].values())
        assert doc["errors"] == []
    finally:
        st.close()
    (tmp / "soak.json").write_text(json.dumps(record, indent=2))
    print("\nsoak:", json.dumps(record))
    return record


def test_soak_short(tmp_path: Path) -> None:
    soak(tmp_path, 4.0)


@pytest.mark.slow
@pytest.mark.timeout(7200)
def test_soak_long(tmp_path: Path) -> None:
    soak(tmp_path, float(os.environ.get("VPSTAGE_SOAK_S", "600")))
