"""Helpers for tests that run real processes on loopback: never hang, always clean up."""

from __future__ import annotations

import os
import random
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import zmq

from stage.core.config.advice import ephemeral_port_range

REPO = Path(__file__).resolve().parent.parent


PORT_SPAN = 12000
"""Ports for the processes under test are drawn from this many ports just below the ephemeral range."""
_handed_out: set[int] = set()
_rng = random.SystemRandom()


def _free_port(kind: int) -> int:
    """A loopback port nothing listens on, for a child process to bind later, drawn at random from below the OS's
    ephemeral range and never handed out twice in a session. Not from the ephemeral range (``bind(0)``): the
    kernel gives a port released there to the next outgoing connection of any process, so a show started a moment
    later could find its port taken (the product's ``stage validate`` warns about such ports for the same reason)."""
    low, _ = ephemeral_port_range()
    first = max(1024, low - PORT_SPAN)
    for _ in range(200):
        port = _rng.randrange(first, low)
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {first}..{low - 1}")


def free_udp_port() -> int:
    return _free_port(socket.SOCK_DGRAM)


def free_tcp_port() -> int:
    return _free_port(socket.SOCK_STREAM)


class Proc:
    """A child process whose stderr is read line by line with timeouts."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None, cwd: Path = REPO,
                 prefix: tuple[str, ...] = (), interpreter: tuple[str, ...] = (sys.executable,),
                 inherit_env: bool = True):
        """Runs ``python ARGS``; ``prefix`` goes in front (``("ip", "netns", "exec", "ns1")``); ``interpreter=()``
        runs ``ARGS`` as they are; ``inherit_env=False``: only ``env`` (and ``PYTHONUNBUFFERED``)."""
        full_env = {**(os.environ if inherit_env else {}), "PYTHONUNBUFFERED": "1", **(env or {})}
        self.popen = subprocess.Popen(
            [*prefix, *interpreter, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=full_env,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._sel = selectors.DefaultSelector()
        self._sel.register(self.popen.stderr, selectors.EVENT_READ)
        self._buf = b""

    def _pump(self, timeout_s: float) -> None:
        for _key, _ in self._sel.select(timeout_s):
            chunk = os.read(self.popen.stderr.fileno(), 65536)
            if not chunk:
                self._sel.unregister(self.popen.stderr)
                return
            self._buf += chunk
            *done, self._buf = self._buf.split(b"\n")
            self.lines += [d.decode(errors="replace") for d in done]

    def wait_for(self, pattern: str, timeout_s: float = 15.0) -> re.Match[str]:
        """First stderr line matching ``pattern``; fails with the log when it doesn't come in time."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout_s
        seen = 0
        while True:
            for line in self.lines[seen:]:
                m = rx.search(line)
                if m:
                    return m
            seen = len(self.lines)
            left = deadline - time.monotonic()
            if left <= 0 or (self.popen.poll() is not None and not self._sel.get_map()):
                raise AssertionError(f"no line matching {pattern!r} in {timeout_s}s; stderr:\n" + "\n".join(self.lines))
            self._pump(min(left, 0.2))

    def signal(self, sig: int = signal.SIGTERM) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)

    def wait(self, timeout_s: float = 10.0) -> int:
        try:
            return self.popen.wait(timeout_s)
        finally:
            while self._sel.get_map():
                self._pump(0.05)
                if self.popen.poll() is not None and not self._sel.select(0):
                    break

    def kill(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream:
                stream.close()
        self._sel.close()


def recv_frames(sock: zmq.Socket, timeout_s: float) -> list[bytes]:
    """One multipart message, or AssertionError after ``timeout_s``."""
    if not sock.poll(int(timeout_s * 1000)):
        raise AssertionError(f"no message within {timeout_s}s")
    return sock.recv_multipart()


def subscriber(ctx: zmq.Context, endpoint: str, topic: bytes = b"") -> zmq.Socket:
    sock = ctx.socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SUBSCRIBE, topic)
    sock.connect(endpoint)
    return sock
