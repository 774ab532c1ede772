"""The baseline for the tracking benchmark: a bare UDP → ZeroMQ relay that parses nothing.

``python -m benchmarks.bare_relay UDP_PORT ENDPOINT`` — every datagram is published as-is under topic ``raw``.
"""

from __future__ import annotations

import signal
import socket
import sys

import zmq


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    port, endpoint = int(argv[0]), argv[1]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    pub.bind(endpoint)
    print(f"relay publishing on {pub.getsockopt_string(zmq.LAST_ENDPOINT)}", file=sys.stderr, flush=True)
    running = True

    def stop(*_: object) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    sock.settimeout(0.1)
    while running:
        try:
            data = sock.recv(65535)
        except TimeoutError:
            continue
        pub.send_multipart([b"raw", data])
    pub.close()
    ctx.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
