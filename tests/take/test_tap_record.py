"""``stage tap`` and ``stage record`` against a real PUB socket on loopback (in-process and as subprocesses)."""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stage.app.cli import main
from stage.core.take import read_take
from stage.core.wire.pose import StatsMessage, encode_stats
from tests.procs import free_tcp_port
from tests.take.helpers import Publisher, pose_body, pose_frames

REPO = Path(__file__).resolve().parents[2]
STATS = encode_stats(StatsMessage(v=1, t_pub=1.0, uptime_s=1.0, sources={}))


def _config(tmp_path: Path, endpoint: str) -> Path:
    text = (REPO / "configs" / "demo.yaml").read_text()
    text = re.sub(r"^scene:.*\n", "", text, flags=re.M) + f"\nendpoints:\n  pose: {endpoint}\n"
    text = text.replace("  - id: cam1\n", "  - id: cam1\n    source: sim\n    sensor_mm: [24.89, 14.0]\n"
                        "    lens: {kind: fixed, focal_length_mm: 24.0}\n  - id: cam2\n", 1)
    path = tmp_path / "stage.yaml"
    path.write_text(text)
    return path


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


# --- tap, in-process ----------------------------------------------------------------------------------------

def test_tap_prints_json_lines_and_stops_after_count(capsys: pytest.CaptureFixture[str]) -> None:
    with Publisher(lambda i: [pose_frames(seq=i)]) as pub:
        assert main(["tap", pub.endpoint, "--count", "3", "--timeout", "10"]) == 0
    lines = _json_lines(capsys.readouterr().out)
    assert len(lines) == 3
    first = lines[0]["seq"]
    assert lines == [{"topic": "pose/cam1", **pose_body(seq=first + k)} for k in range(3)]


def test_tap_reports_bad_messages_on_stderr_and_goes_on(capsys: pytest.CaptureFixture[str]) -> None:
    def make(i: int) -> list[list[bytes]]:
        return [[b"pose/cam1", b"{oops"], [b"pose/cam1"], pose_frames(seq=i), STATS]

    with Publisher(make) as pub:
        assert main(["tap", pub.endpoint, "--count", "4", "--timeout", "10"]) == 0
    captured = capsys.readouterr()
    topics = [line["topic"] for line in _json_lines(captured.out)]
    assert set(topics) <= {"pose/cam1", "stats"} and len(topics) == 4
    errors = captured.err.splitlines()
    assert errors and all(e.startswith("tap: ") for e in errors) and "Traceback" not in captured.err
    assert any("expected 2 frames" in e for e in errors) and errors[-1].startswith("tap: 4 messages, ")


def test_tap_topic_filter(capsys: pytest.CaptureFixture[str]) -> None:
    with Publisher(lambda i: [pose_frames("cam1", i), pose_frames("cam2", i), STATS]) as pub:
        assert main(["tap", pub.endpoint, "--topic", "pose/cam2", "--count", "2", "--timeout", "10"]) == 0
    assert [line["topic"] for line in _json_lines(capsys.readouterr().out)] == ["pose/cam2"] * 2


def test_tap_endpoint_from_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Publisher(lambda i: [pose_frames(seq=i)]) as pub:
        assert main(["tap", "--config", str(_config(tmp_path, pub.endpoint)), "--count", "1", "--timeout", "10"]) == 0
    assert _json_lines(capsys.readouterr().out)[0]["topic"] == "pose/cam1"


def test_tap_timeout_exits_1_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with Publisher(lambda i: []) as pub:
        t0 = time.monotonic()
        assert main(["tap", pub.endpoint, "--timeout", "0.3"]) == 1
        assert time.monotonic() - t0 < 5
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"tap: no message from {pub.endpoint} within 0.3 s\n"


# --- record, in-process -------------------------------------------------------------------------------------

def _resends(i: int) -> list[list[bytes]]:
    """Every sample, then its last-value re-send, a stale re-send, and the other camera's sample."""
    return [pose_frames("cam1", i), pose_frames("cam1", i), pose_frames("cam1", i, stale=True),
            pose_frames("cam2", i, ptr=(0.0, 10.0, 0.0))]


def test_record_skips_resends_and_round_trips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Publisher(_resends, period_s=0.005) as pub:
        config = _config(tmp_path, pub.endpoint)
        assert main(["record", str(config), "--take", "T1", "--dir", str(tmp_path / "takes"),
                     "--duration", "0.5"]) == 0
    captured = capsys.readouterr()
    take = read_take(tmp_path / "takes" / "T1.take.jsonl")
    assert take.header.name == "T1" and take.header.config == str(config)
    assert take.header.cameras == ("cam1", "cam2") and take.warnings == ()
    for camera in ("cam1", "cam2"):
        seqs = [s.seq for s in take.samples_for(camera)]
        assert len(seqs) >= 3 and len(set(seqs)) == len(seqs) and seqs == sorted(seqs)
        assert sum(s.stale for s in take.samples_for(camera)) <= 1  # only if the first one seen was stale
    n1, n2 = len(take.samples_for("cam1")), len(take.samples_for("cam2"))
    summary = captured.out.strip()
    assert summary.startswith(f"recorded {tmp_path / 'takes' / 'T1.take.jsonl'}: {n1 + n2} samples "
                              f"(cam1 {n1}, cam2 {n2}) in 0.5 s; skipped ")
    # bodies are stored exactly as published
    lines = (tmp_path / "takes" / "T1.take.jsonl").read_bytes().splitlines()
    assert json.loads(lines[1]) == pose_body(take.samples[0].camera, take.samples[0].seq,
                                             **({"ptr": (0.0, 10.0, 0.0)} if take.samples[0].camera == "cam2"
                                                else {}), stale=take.samples[0].stale)


def test_record_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "takes" / "T1.take.jsonl"
    path.parent.mkdir()
    path.write_text("precious\n")
    config = str(_config(tmp_path, "tcp://127.0.0.1:1"))
    assert main(["record", config, "--take", "T1", "--dir", str(path.parent), "--duration", "0.1"]) == 2
    assert capsys.readouterr().err == f"record: {path}: take exists (use --force to overwrite)\n"
    assert path.read_text() == "precious\n"
    # With --force but nothing arriving, nothing is written: the old take survives.
    assert main(["record", config, "--take", "T1", "--dir", str(path.parent), "--duration", "0.1", "--force"]) == 2
    assert path.read_text() == "precious\n"
    assert main(["record", config, "--take", "../x", "--dir", str(path.parent), "--duration", "0.1"]) == 2


def test_record_without_a_daemon_says_so_and_writes_nothing(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    endpoint = f"tcp://127.0.0.1:{free_tcp_port()}"
    config = str(_config(tmp_path, endpoint))
    # No --duration: before, this recorded an empty take until Ctrl-C (here: until the test timeout).
    assert main(["record", config, "--take", "T2", "--dir", str(tmp_path / "takes"), "--wait", "0.3"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith(f"record: no pose arrived from {endpoint} in 0.3 s")
    assert err[-1].endswith("nothing written")
    assert not (tmp_path / "takes" / "T2.take.jsonl").exists()


# --- as a user runs them --------------------------------------------------------------------------------------

def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "stage.app.cli", *args]


def test_tap_subprocess_count() -> None:
    with Publisher(lambda i: [pose_frames(seq=i)]) as pub:
        proc = subprocess.run(_cli("tap", pub.endpoint, "--count", "2", "--timeout", "10"), cwd=REPO,
                              capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert [line["topic"] for line in _json_lines(proc.stdout)] == ["pose/cam1"] * 2


def test_tap_subprocess_sigint_exits_130() -> None:
    with Publisher(lambda i: [pose_frames(seq=i)]) as pub:
        proc = subprocess.Popen(_cli("tap", pub.endpoint), cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            with selectors.DefaultSelector() as sel:
                sel.register(proc.stdout, selectors.EVENT_READ)
                assert sel.select(20), "tap printed nothing within 20 s"
            assert json.loads(proc.stdout.readline())["topic"] == "pose/cam1"
            proc.send_signal(signal.SIGINT)
            assert proc.wait(10) == 130
            assert b"Traceback" not in proc.stderr.read()
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
            proc.stdout.close()
            proc.stderr.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_record_subprocess_stops_on_signal(tmp_path: Path, sig: int) -> None:
    take = tmp_path / "takes" / "S1.take.jsonl"
    with Publisher(_resends, period_s=0.005) as pub:
        proc = subprocess.Popen(_cli("record", str(_config(tmp_path, pub.endpoint)), "--take", "S1",
                                     "--dir", str(take.parent)), cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            deadline = time.monotonic() + 20
            while not (take.exists() and len(take.read_bytes().splitlines()) > 5):  # flushed line by line
                assert proc.poll() is None and time.monotonic() < deadline, "no samples recorded in 20 s"
                time.sleep(0.02)
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
    assert proc.returncode == 0, err
    assert out.startswith(f"recorded {take}: ") and out.count("\n") == 1
    samples = read_take(take).samples
    assert len({(s.camera, s.seq) for s in samples}) == len(samples) > 5
