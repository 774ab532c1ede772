"""The orchestrator's OSC path under a flood: cost per message and the longest stall of the main loop.

    python -m benchmarks.osc_loop [--messages 20000]

Sends ``--messages`` fader messages (exposure and wall brightness, alternating) over loopback UDP to an
:class:`~stage.app.orchestrator.osc_server.OscServer` on the demo stage's store, then lets it handle them batch by batch
as the main loop does (``handle_readable``); the baseline is a bare ``recvfrom`` loop over the same datagrams, in
the same run. Reports µs per message for both, the longest single batch (what one loop iteration can stall) and
how many changes were coalesced. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import select
import socket
import sys
import tempfile
import time
from pathlib import Path

from pythonosc.osc_message_builder import OscMessageBuilder

REPO = Path(__file__).resolve().parent.parent
CHUNK = 200
"""Datagrams in flight at once (the kernel's receive buffer must hold them)."""


def _datagrams(n: int) -> list[bytes]:
    out = []
    for i in range(n):
        address, value = (("/stage/exposure_ev", (i % 160 - 80) / 8.0) if i % 2 == 0
                          else ("/stage/walls/main/brightness", (i % 64) / 32.0))
        builder = OscMessageBuilder(address=address)
        builder.add_arg(value, OscMessageBuilder.ARG_TYPE_FLOAT)
        out.append(builder.build().dgram)
    return out


def _send(sock: socket.socket, port: int, data: list[bytes]) -> None:
    for d in data:
        sock.sendto(d, ("127.0.0.1", port))


def measure(n: int) -> dict:
    from stage.app.orchestrator.osc_server import OscServer
    from stage.app.orchestrator.store import StateStore
    from stage.core.config.loader import load_stage_config
    from stage.core.live import LiveState

    config = load_stage_config(REPO / "configs" / "demo.yaml")
    data = _datagrams(n)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with tempfile.TemporaryDirectory() as tmp:
        store = StateStore(config, [], LiveState.from_config(config), Path(tmp))
        server = OscServer(store, "127.0.0.1", 0, ["127.0.0.0/8"])
        batches: list[float] = []
        busy = 0.0
        for start in range(0, n, CHUNK):
            _send(sender, server.port, data[start:start + CHUNK])
            done = 0
            while done < len(data[start:start + CHUNK]) and select.select([server], [], [], 0.5)[0]:
                t0 = time.perf_counter()
                done += server.handle_readable(time.monotonic())
                batches.append(time.perf_counter() - t0)
                busy += batches[-1]
        counters = dict(server.counters)
        server.close()
    bare = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bare.bind(("127.0.0.1", 0))
    bare.setblocking(False)
    bare_busy = 0.0
    for start in range(0, n, CHUNK):
        _send(sender, bare.getsockname()[1], data[start:start + CHUNK])
        left = len(data[start:start + CHUNK])
        while left and select.select([bare], [], [], 0.5)[0]:
            t0 = time.perf_counter()
            while left:
                try:
                    bare.recvfrom(8193)
                except BlockingIOError:
                    break
                left -= 1
            bare_busy += time.perf_counter() - t0
    bare.close()
    sender.close()
    return {
        "benchmark": "osc_loop",
        "messages": n,
        "received": counters["received"],
        "applied": counters["applied"],
        "coalesced": counters["coalesced"],
        "us_per_message": round(busy / n * 1e6, 2),
        "bare_us_per_message": round(bare_busy / n * 1e6, 2),
        "max_batch_ms": round(max(batches) * 1000.0, 2),
        "batches": len(batches),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.osc_loop", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    args = parser.parse_args(argv)
    print(json.dumps(measure(max(1, args.messages)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
