"""Tracking daemon latency on loopback: 4 cameras × 240 Hz of OpenTrackIO, against a bare UDP→ZeroMQ relay.

    python -m benchmarks.tracking_latency [--seconds 10] [--rate 240] [--cameras 4]

Measures, in one run: the daemon-added latency (datagram received → message published, from the message's own
``t_recv``/``t_pub``), end-to-end latency (sender's timestamp in the datagram → subscriber receives), the daemon's
CPU use, lost valid datagrams; then the same end-to-end latency through a relay that parses nothing, and our
latency as a ratio to it. Also the cost to decode one reference datagram (JSON, CBOR) into a published pose body.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import socket
import subprocess
import sys
import time
import timeit
from pathlib import Path

import numpy as np
import zmq

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "tests" / "data" / "reference" / "opentrackio"
WARMUP_S = 1.0


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _message(camera: int, seq: int, t_send: float) -> bytes:
    from tracking.opentrackio.header import encode_datagram

    body = {
        "protocol": {"name": "OpenTrackIO", "version": [1, 0, 1]},
        "sourceId": f"urn:uuid:00000000-0000-0000-0000-00000000000{camera}",
        "sourceNumber": camera,
        "timing": {"sampleTimestamp": {"seconds": int(t_send), "nanoseconds": int((t_send % 1) * 1e9)}},
        "transforms": [{"translation": {"x": 0.001 * seq, "y": 1.0, "z": 1.6},
                        "rotation": {"pan": 0.01 * seq, "tilt": 0.0, "roll": 0.0}, "id": "Camera"}],
        "lens": {"pinholeFocalLength": 35.0, "focusDistance": 3.0, "fStop": 2.8, "entrancePupilOffset": 0.1},
    }
    return encode_datagram(json.dumps(body).encode(), sequence=seq & 0xFFFF)


def _sender(ports: list[int], rate_hz: float, seconds: float, counts: mp.Queue) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    period = 1.0 / rate_hz
    start = time.monotonic() + 0.05
    sent = 0
    tick = 0
    while True:
        due = start + tick * period
        now = time.monotonic()
        if due - now > 0:
            time.sleep(due - now)
        if time.monotonic() - start > seconds:
            break
        for cam, port in enumerate(ports, start=1):
            sock.sendto(_message(cam, tick, time.time()), ("127.0.0.1", port))
            sent += 1
        tick += 1
    counts.put(sent)


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start(args: list[str], pattern: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, *args], stderr=subprocess.PIPE, cwd=REPO, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        m = re.search(pattern, line)
        if m:
            return proc, m.group(1)
    proc.kill()
    raise RuntimeError(f"{args} did not start")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _percentiles(values_s: list[float]) -> dict[str, float]:
    a = np.asarray(values_s) * 1e6
    if a.size == 0:
        return {"n": 0}
    p10, p50, p90, p99 = np.percentile(a, [10, 50, 90, 99])
    return {"n": int(a.size), "p10_us": round(p10, 1), "p50_us": round(p50, 1), "p90_us": round(p90, 1),
            "p99_us": round(p99, 1), "max_us": round(float(a.max()), 1)}


def _collect(sub: zmq.Socket, seconds: float, parse) -> list:
    out = []
    end = time.monotonic() + seconds + WARMUP_S + 2.0
    while time.monotonic() < end:
        if sub.poll(200):
            frames = sub.recv_multipart()
            out.append((time.time(), frames))
        elif out and time.monotonic() > end - 1.5:
            break
    return [parse(t, f) for t, f in out]


def _subscribe(endpoint: str, topic: bytes) -> tuple[zmq.Context, zmq.Socket]:
    """A SUB socket with no receive limit, given time to join before the sender starts."""
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, topic)
    sub.setsockopt(zmq.RCVHWM, 0)
    sub.connect(endpoint)
    time.sleep(0.3)
    return ctx, sub


def run_daemon(cameras: int, rate_hz: float, seconds: float) -> dict:
    ports = [_free_udp_port() for _ in range(cameras)]
    args = ["-m", "tracking", "--publish", "tcp://127.0.0.1:*"]
    for i, port in enumerate(ports, start=1):
        args += ["--source", f"opentrackio://127.0.0.1:{port}?name=cam{i}&timeout_ms=60000"]
    proc, endpoint = _start(args, r"publishing on (tcp://\S+)")
    ctx, sub = _subscribe(endpoint, b"pose/")
    counts: mp.Queue = mp.Queue()
    cpu0, wall0 = _cpu_s(proc.pid), time.monotonic()
    sender = mp.Process(target=_sender, args=(ports, rate_hz, seconds + WARMUP_S, counts))
    sender.start()

    def parse(t_arrive: float, frames: list[bytes]) -> dict:
        body = json.loads(frames[1])
        return {"t": t_arrive, **{k: body[k] for k in ("t_sample", "t_recv", "t_pub", "stale", "seq", "camera")}}

    messages = _collect(sub, seconds, parse)
    sender.join()
    cpu1, wall1 = _cpu_s(proc.pid), time.monotonic()
    sent = counts.get()
    _stop(proc)
    sub.close(0)
    ctx.term()
    live = [m for m in messages if not m["stale"]]
    t0 = min(m["t_sample"] for m in live) + WARMUP_S
    steady = [m for m in live if m["t_sample"] >= t0]
    return {
        "sent": sent,
        "received": len(live),
        "lost": sent - len(live),
        "daemon_added": _percentiles([m["t_pub"] - m["t_recv"] for m in steady]),
        "end_to_end": _percentiles([m["t"] - m["t_sample"] for m in steady]),
        "cpu_pct_of_one_core": round(100.0 * (cpu1 - cpu0) / (wall1 - wall0), 1),
    }


def run_relay(cameras: int, rate_hz: float, seconds: float) -> dict:
    port = _free_udp_port()
    proc, endpoint = _start(["-m", "benchmarks.bare_relay", str(port), "tcp://127.0.0.1:*"],
                            r"relay publishing on (tcp://\S+)")
    ctx, sub = _subscribe(endpoint, b"raw")
    counts: mp.Queue = mp.Queue()
    sender = mp.Process(target=_sender, args=([port] * cameras, rate_hz, seconds + WARMUP_S, counts))
    sender.start()

    def parse(t_arrive: float, frames: list[bytes]) -> dict:
        ts = json.loads(frames[1][16:])["timing"]["sampleTimestamp"]
        return {"t": t_arrive, "t_sample": ts["seconds"] + ts["nanoseconds"] * 1e-9}

    messages = _collect(sub, seconds, parse)
    sender.join()
    sent = counts.get()
    _stop(proc)
    sub.close(0)
    ctx.term()
    t0 = min(m["t_sample"] for m in messages) + WARMUP_S
    steady = [m for m in messages if m["t_sample"] >= t0]
    e2e = _percentiles([m["t"] - m["t_sample"] for m in steady])
    return {"sent": sent, "received": len(messages), "end_to_end": e2e}


def decode_cost() -> dict:
    from stage.core.config.cameras import Camera
    from stage.core.config.sources import Calibration
    from stage.core.wire.pose import encode_pose_dict
    from tracking.opentrackio.decode import SourceCache, decode_payload, sample_from_message
    from tracking.opentrackio.header import parse_datagram
    from tracking.pipeline import CameraPipeline

    cam = Camera(id="c", source="s", sensor_mm=(36.0, 24.0), lens={"kind": "fixed", "focal_length_mm": 35.0})
    out = {}
    for name in ("reference_sender_json_seq1.bin", "reference_sender_cbor_seq2.bin"):
        data = (REFERENCE / "packets" / name).read_bytes()
        cache = SourceCache()
        pipe = CameraPipeline(cam, "s", Calibration())

        def decode(data: bytes = data, cache: SourceCache = cache) -> None:
            dg = parse_datagram(data)
            sample_from_message(decode_payload(dg.encoding, dg.payload), cache)

        def to_frames(data: bytes = data, cache: SourceCache = cache, pipe: CameraPipeline = pipe) -> None:
            dg = parse_datagram(data)
            sample = sample_from_message(decode_payload(dg.encoding, dg.payload), cache)
            encode_pose_dict(pipe.process(sample, 0.0).body(0.0, False))

        n = 5000
        runs_decode = np.array(timeit.repeat(decode, number=n, repeat=7)) / n * 1e6
        runs_full = np.array(timeit.repeat(to_frames, number=n, repeat=7)) / n * 1e6
        out[name] = {
            "decode_us_median": round(float(np.median(runs_decode)), 2),
            "decode_us_min": round(float(runs_decode.min()), 2),
            "to_published_frames_us_median": round(float(np.median(runs_full)), 2),
            "to_published_frames_us_min": round(float(runs_full.min()), 2),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tracking_latency", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=240.0, help="samples per second per camera")
    parser.add_argument("--cameras", type=int, default=4)
    args = parser.parse_args(argv)
    daemon = run_daemon(args.cameras, args.rate, args.seconds)
    relay = run_relay(args.cameras, args.rate, args.seconds)
    ratio = {
        k: round(daemon["end_to_end"][k] / relay["end_to_end"][k], 2)
        for k in ("p50_us", "p99_us") if relay["end_to_end"].get(k)
    }
    result = {
        "benchmark": "tracking_latency",
        "cameras": args.cameras,
        "rate_hz_per_camera": args.rate,
        "seconds": args.seconds,
        "cpu_count": os.cpu_count(),
        "daemon": daemon,
        "bare_relay": relay,
        "end_to_end_ratio_to_bare_relay": ratio,
        "decode": decode_cost(),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
