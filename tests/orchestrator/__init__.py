"""Shared helpers for the orchestrator tests: a demo-stage store and a loopback OSC "tablet"."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from stage.app.orchestrator.osc_server import OscServer
from stage.app.orchestrator.store import StateStore
from stage.core.config import load_stage_config
from stage.core.config.lightcards import LightCard
from stage.core.live import LiveState

REPO = Path(__file__).resolve().parents[2]
SCENES = ["scenes/demo.yaml", "scenes/night.yaml", "scenes/desert.yaml"]
WALLS = ["main", "side-right", "ceiling"]


def make_store(presets_dir: Path) -> StateStore:
    """The demo stage with a card ``key`` on the main wall and a card ``rim`` placed by direction."""
    config = load_stage_config(REPO / "configs" / "demo.yaml")
    state = LiveState.from_config(config, scene=SCENES[0])
    cards = {
        "key": LightCard(name="key", wall="main", center_uv=(0.5, 0.4), intensity=2.0),
        "rim": LightCard(name="rim", azimuth_deg=120.0, elevation_deg=20.0),
    }
    return StateStore(config, SCENES, state.model_copy(update={"light_cards": cards}), presets_dir)


def encode(address: str, args: list[Any]) -> bytes:
    """An OSC message with explicit types: bool → T/F, int → i, float → f, str → s, bytes → b."""
    builder = OscMessageBuilder(address=address)
    for arg in args:
        if isinstance(arg, bool):
            builder.add_arg(arg, OscMessageBuilder.ARG_TYPE_TRUE if arg else OscMessageBuilder.ARG_TYPE_FALSE)
        elif isinstance(arg, int):
            builder.add_arg(arg, OscMessageBuilder.ARG_TYPE_INT)
        elif isinstance(arg, float):
            builder.add_arg(arg, OscMessageBuilder.ARG_TYPE_FLOAT)
        elif isinstance(arg, bytes):
            builder.add_arg(arg, OscMessageBuilder.ARG_TYPE_BLOB)
        else:
            builder.add_arg(arg, OscMessageBuilder.ARG_TYPE_STRING)
    return builder.build().dgram


def pump(server: OscServer, count: int = 1, timeout_s: float = 2.0) -> None:
    """Let the server handle ``count`` datagrams, polling its socket with a timeout (never sleeps)."""
    done = 0
    while done < count:
        if not select.select([server], [], [], timeout_s)[0]:
            raise AssertionError(f"server got {done} of {count} datagrams within {timeout_s} s")
        done += server.handle_readable(now=0.0)


class Tablet:
    """A loopback OSC client with its own socket, so replies and echoes come back to it."""

    def __init__(self, server: OscServer):
        self.server = server
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)

    def send(self, address: str, *args: Any, handle: bool = True) -> list[tuple[str, list[Any]]]:
        """Send one message, let the server handle it, return what came back."""
        return self.send_raw(encode(address, list(args)), handle=handle)

    def send_raw(self, data: bytes, handle: bool = True) -> list[tuple[str, list[Any]]]:
        self.sock.sendto(data, ("127.0.0.1", self.server.port))
        if not handle:
            return []
        pump(self.server)
        return self.replies()

    def replies(self) -> list[tuple[str, list[Any]]]:
        """Everything queued for this tablet (loopback delivers the server's replies before it returns)."""
        out = []
        while select.select([self.sock], [], [], 0)[0]:
            msg = OscMessage(self.sock.recv(65536))
            out.append((msg.address, list(msg.params)))
        return out

    def errors(self, replies: list[tuple[str, list[Any]]]) -> list[str]:
        return [args[0] for address, args in replies if address == "/stage/error"]

    def close(self) -> None:
        self.sock.close()


@contextmanager
def served_store(presets_dir: Path) -> Iterator[tuple[StateStore, OscServer, Tablet]]:
    """The demo store (:func:`make_store`) behind a real loopback OSC server, and a tablet talking to it."""
    store = make_store(presets_dir)
    server = OscServer(store, "127.0.0.1", 0, ["127.0.0.0/8"])
    tablet = Tablet(server)
    try:
        yield store, server, tablet
    finally:
        tablet.close()
        server.close()
