"""Director control over OSC/UDP: a non-blocking endpoint the orchestrator's poll loop drives (docs/osc.md).

The server owns its socket so that it can drop senders outside the allow-list *before* parsing, refuse oversized
datagrams, and count everything. python-osc parses messages and bundles and builds replies. Every refused message
is answered with ``/stage/error s`` to its sender; every applied change, from any source, is echoed to the
remembered tablets (a store listener). Handling a datagram does no disk or network I/O beyond those replies (a
preset is written on the disk worker), so a fader dragged at full speed is absorbed; the store coalesces the
renderer updates.

Budget: one :meth:`OscServer.handle_readable` call takes at most :data:`MAX_DRAIN` datagrams (the poll loop serves
its other sockets between batches), and within a batch a parameter change that a later message of the same run of
changes overwrites is skipped (counted ``coalesced``): a flood costs one change per parameter per batch.

Replies are never an amplifier: a sender outside ``control.osc_reply_clients`` gets at most as many bytes back as
it sent (a byte credit per address; what does not fit is dropped and counted ``replies_capped``), because a UDP
source address can be forged to aim the replies at someone else.
"""

from __future__ import annotations

import logging
import socket
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket
from pythonosc.parsing import osc_types

from stage.app.orchestrator.osc_map import ChangeError, Route, messages_for, route
from stage.app.orchestrator.store import StateStore
from stage.core.config.stage import Control
from stage.core.netfilter import AddressFilter

log = logging.getLogger(__name__)

TABLET_IDLE_S = 600.0
"""A tablet that sent nothing for this long gets no more echoes."""
MAX_TABLETS = 32
MAX_DRAIN = 256
"""Datagrams handled per :meth:`OscServer.handle_readable` call, so one flood can't starve the poll loop."""
REJECT_LOG_EVERY_S = 5.0
"""Refused OSC messages are logged at most once per reason and sender this often (with a count of the rest)."""
CREDIT_MAX_BYTES = 64 * 1024
"""Reply credit an address outside ``osc_reply_clients`` can save up (bytes it sent, not yet answered)."""
CREDIT_ENTRIES = 1024
"""Addresses whose credit is remembered (oldest forgotten first)."""
REASONS = ("unknown_address", "arg_count", "arg_type", "not_finite", "out_of_range", "unknown_name", "invalid")

Address = tuple[Any, ...]


_TAG_BYTES = {"i": 4, "f": 4, "r": 4, "m": 4, "h": 8, "d": 8, "t": 8, "T": 0, "F": 0, "N": 0, "[": 0, "]": 0}


def exact_length(dgram: bytes) -> bool:
    """Whether a message's arguments fill it exactly (python-osc pads a truncated float and skips unknown type
    tags; a strict server refuses both)."""
    _, index = osc_types.get_string(dgram, 0)
    if index == len(dgram):
        return True
    tags, index = osc_types.get_string(dgram, index)
    for tag in tags[1:]:
        if tag in _TAG_BYTES:
            index += _TAG_BYTES[tag]
        elif tag == "s":
            _, index = osc_types.get_string(dgram, index)
        elif tag == "b":
            _, index = osc_types.get_blob(dgram, index)
        else:
            return False
    return index == len(dgram)


def shortest_float32(value: float) -> float:
    """The shortest decimal that reads back as the same float32: an OSC ``f`` argument of 0.6 arrives as
    0.6000000238418579 (the nearest float32, widened); the user meant 0.6 (numpy's float32 ``str`` is the shortest
    round-trip representation)."""
    return float(str(np.float32(value)))


def message_args(message: OscMessage) -> list[Any]:
    """The message's arguments, with every float32 (``f``) argument as the value its sender meant
    (:func:`shortest_float32`); doubles (``d``) and other types unchanged."""
    params = list(message.params)
    _, index = osc_types.get_string(message.dgram, 0)
    tags = osc_types.get_string(message.dgram, index)[0][1:] if index < len(message.dgram) else ""
    tags = tags.replace("[", "").replace("]", "")
    if len(tags) != len(params):  # arrays or anything unusual: leave the values as python-osc made them
        return params
    return [shortest_float32(v) if t == "f" and isinstance(v, float) else v for t, v in zip(tags, params, strict=True)]


def well_formed(dgram: bytes, depth: int = 0) -> bool:
    """Strict OSC 1.0 framing: a message whose arguments fill it exactly, or a bundle whose element sizes are
    positive multiples of 4 that add up to the bundle (nested at most 8 deep)."""
    if len(dgram) % 4 or depth > 8:
        return False
    if not dgram.startswith(b"#bundle\x00"):
        return dgram.startswith(b"/") and exact_length(dgram)
    index = 16
    if len(dgram) < index:
        return False
    while index < len(dgram):
        size, index = osc_types.get_int(dgram, index)
        if size <= 0 or size % 4 or index + size > len(dgram):
            return False
        if not well_formed(dgram[index : index + size], depth + 1):
            return False
        index += size
    return True


def _peek_address(data: bytes) -> str:
    """The OSC address a datagram starts with (``#bundle`` for a bundle), for log lines; never raises."""
    head = data[:128].split(b"\x00", 1)[0]
    return head.decode("ascii", "replace") or "(empty)"


def build(address: str, args: list[Any]) -> bytes:
    """One OSC message: floats as ``f``, ints and bools as ``i``, strings as ``s``."""
    builder = OscMessageBuilder(address=address)
    for arg in args:
        if isinstance(arg, bool):
            builder.add_arg(int(arg), OscMessageBuilder.ARG_TYPE_INT)
        elif isinstance(arg, int):
            builder.add_arg(arg, OscMessageBuilder.ARG_TYPE_INT)
        elif isinstance(arg, float):
            builder.add_arg(arg, OscMessageBuilder.ARG_TYPE_FLOAT)
        else:
            builder.add_arg(str(arg), OscMessageBuilder.ARG_TYPE_STRING)
    return builder.build().dgram


class OscServer:
    """UDP OSC endpoint over a :class:`StateStore`; ``counters`` says what it received, applied and refused."""

    def __init__(self, store: StateStore, bind: str, port: int, allowed: list[str], max_datagram: int = 8192,
                 reply_clients: list[str] | None = None):
        self.store = store
        self.max_datagram = max_datagram
        reply_clients = Control().osc_reply_clients if reply_clients is None else reply_clients
        try:
            self._allowed = AddressFilter(allowed)
            self._full_replies = AddressFilter(reply_clients)
        except ValueError as exc:
            raise ValueError(f"control.allowed_clients / osc_reply_clients: {exc}") from None
        family = socket.AF_INET6 if ":" in bind else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            self._sock.setblocking(False)
            self._sock.bind((bind, port))
        except OSError:
            self._sock.close()
            raise
        self.port: int = self._sock.getsockname()[1]
        self.counters: dict[str, int] = {
            "received": 0, "applied": 0, "ignored_not_allowed": 0, "oversized": 0, "malformed": 0,
            "replies_dropped": 0, "replies_capped": 0, "coalesced": 0, **{f"rejected_{r}": 0 for r in REASONS},
        }
        self.last_reject: str | None = None
        """The last refused or ignored message: ``HOST:PORT ADDRESS: reason`` (``stage status``)."""
        self.warnings: Callable[[dict[str, Any]], list[str]] | None = None
        """Warnings an applied change earns (:func:`stage.app.orchestrator.output_warnings.change_warnings`),
        answered to its sender on ``/stage/warning``; set by the orchestrator."""
        self._reject_log: dict[tuple[str, str], tuple[float, int]] = {}
        self._tablets: OrderedDict[Address, float] = OrderedDict()
        self._credit: OrderedDict[Address, int] = OrderedDict()
        self._now = 0.0
        store.add_listener(self._echo)
        log.info("OSC control on %s:%d (allowed: %s)", bind, self.port, ", ".join(allowed) or "nobody")

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._sock.close()

    @property
    def tablets(self) -> list[Address]:
        """Addresses that currently receive echoes."""
        return list(self._tablets)

    # ---- receiving ----------------------------------------------------------------------------------------

    def handle_readable(self, now: float) -> int:
        """Drain waiting datagrams (up to :data:`MAX_DRAIN`) and apply them as one coalesced batch; returns how
        many were handled. ``now`` is the poll loop's clock (``time.monotonic()``), used to expire idle tablets."""
        self._now = now
        batch: list[tuple[Address, OscMessage]] = []
        handled = 0
        while handled < MAX_DRAIN:
            try:
                data, addr = self._sock.recvfrom(self.max_datagram + 1)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:  # e.g. ICMP port unreachable reported for an earlier reply
                log.debug("recvfrom: %s", exc)
                continue
            handled += 1
            batch += [(addr, m) for m in self._accept(data, addr, now)]
        self._apply(batch)
        return handled

    def is_allowed(self, host: str) -> bool:
        """Whether ``host`` is inside one of the allowed subnets (IPv4-mapped IPv6 counts as IPv4)."""
        return self._allowed.allows(host)

    def handle_datagram(self, data: bytes, addr: Address, now: float) -> None:
        """Check, parse and apply one datagram from ``addr``."""
        self._apply([(addr, m) for m in self._accept(data, addr, now)])

    def _accept(self, data: bytes, addr: Address, now: float) -> list[OscMessage]:
        """Check and parse one datagram; its messages, or ``[]`` when it was refused (answered and counted)."""
        self._now = now
        self.counters["received"] += 1
        if not self.is_allowed(addr[0]):
            self.counters["ignored_not_allowed"] += 1
            self._note_reject(addr, "not_allowed", f"{_peek_address(data)}: sender not in control.allowed_clients")
            return []
        self._earn(addr, len(data))
        if len(data) > self.max_datagram:
            self.counters["oversized"] += 1
            self._note_reject(addr, "oversized", f"datagram larger than {self.max_datagram} bytes")
            self._send(addr, "/stage/error", [f"datagram larger than {self.max_datagram} bytes"])
            return []
        try:
            if not well_formed(data):
                raise ValueError("lengths do not match the contents")
            messages = [timed.message for timed in OscPacket(data).messages]
        except Exception as exc:  # python-osc raises more than ParseError on hostile bytes
            self.counters["malformed"] += 1
            self._note_reject(addr, "malformed", f"malformed OSC datagram ({type(exc).__name__})")
            self._send(addr, "/stage/error", [f"malformed OSC datagram ({type(exc).__name__})"])
            return []
        self._remember(addr, now)
        return messages

    def _apply(self, batch: list[tuple[Address, OscMessage]]) -> None:
        """Route every message, skip parameter changes that a later change of the same run overwrites, apply the
        rest in order."""
        routed: list[Route | Exception] = []
        for _, message in batch:
            try:
                routed.append(route(message.address, message_args(message), self.store.state))
            except Exception as exc:  # answered (or, not a ChangeError, sent to the last resort) in order below
                routed.append(exc)
        later: set[str] = set()
        keep = [True] * len(batch)
        for i in range(len(batch) - 1, -1, -1):
            r = routed[i]
            if isinstance(r, Route) and r.action == "set" and r.changes:
                if later.issuperset(r.changes):
                    keep[i] = False
                later.update(r.changes)
            elif not (isinstance(r, Route) and r.action == "none"):
                later = set()  # anything else ends the run: an undo or a recall between two sets must see both
        for (addr, message), r, kept in zip(batch, routed, keep, strict=True):
            if not kept:
                self.counters["coalesced"] += 1
                continue
            self._handle_message(message, addr, r)

    def _handle_message(self, message: OscMessage, addr: Address, r: Route | Exception | None = None) -> None:
        address = message.address
        origin = f"osc {addr[0]}:{addr[1]}"
        try:
            if r is None:
                r = route(address, message_args(message), self.store.state)
            if isinstance(r, Exception):
                raise r
            if r.action == "set":
                changed = self.store.set_many(r.changes or {}, source=origin)
                for warning in self.warnings(changed) if self.warnings is not None else []:
                    self._send(addr, "/stage/warning", [warning[:500]])
            elif r.action == "scene":
                self.store.set_scene(r.text, source=origin)
            elif r.action == "scene_next":
                self.store.next_scene(source=origin)
            elif r.action == "undo":
                self.store.undo()
            elif r.action == "preset_save":
                self.store.save_preset_later(r.text, lambda path, error, name=r.text: self._saved(addr, name, error))
            elif r.action == "preset_recall":
                self.store.recall_preset(r.text)
            elif r.action == "state":
                self.send_state(addr)
        except ChangeError as exc:
            self._refuse(addr, address, exc)
            return
        except Exception as exc:  # last resort: one message never stops the show (logged, counted, answered)
            self.counters["rejected_internal"] = self.counters.get("rejected_internal", 0) + 1
            reason = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
            self.last_reject = f"{addr[0]}:{addr[1]} {address}: internal error ({reason})"
            log.error("OSC %s from %s:%s failed: %s", address, addr[0], addr[1], reason, exc_info=log.isEnabledFor(
                logging.DEBUG))
            self._send(addr, "/stage/error", [f"{address}: internal error ({reason})"[:500]])
            return
        self.counters["applied"] += 1

    def _note_reject(self, addr: Address, reason: str, text: str) -> None:
        """Remember and log (at most once per :data:`REJECT_LOG_EVERY_S` per reason and sender) a dropped message."""
        self.last_reject = f"{addr[0]}:{addr[1]} {text}"
        key = (addr[0], reason)
        logged_at, suppressed = self._reject_log.get(key, (-1e18, 0))
        if self._now - logged_at < REJECT_LOG_EVERY_S:
            self._reject_log[key] = (logged_at, suppressed + 1)
            return
        more = f" ({suppressed} more like it not logged)" if suppressed else ""
        log.warning("OSC from %s:%s refused (%s): %s%s", addr[0], addr[1], reason, text, more)
        if len(self._reject_log) > 1024:
            self._reject_log.clear()
        self._reject_log[key] = (self._now, 0)

    def _refuse(self, addr: Address, address: str, exc: ChangeError) -> None:
        key = f"rejected_{exc.reason}"
        self.counters[key] = self.counters.get(key, 0) + 1
        text = str(exc) if str(exc).startswith(address) else f"{address}: {exc}"
        self._note_reject(addr, exc.reason, text[:500])
        self._send(addr, "/stage/error", [text[:500]])

    def _saved(self, addr: Address, name: str, error: ChangeError | None) -> None:
        """A preset write finished (on the disk worker): tell the tablet that asked."""
        if error is None:
            self._send(addr, "/stage/preset/saved", [name])
        else:
            self._refuse(addr, "/stage/preset/save", error)

    def _remember(self, addr: Address, now: float) -> None:
        self._tablets[addr] = now
        self._tablets.move_to_end(addr)
        while len(self._tablets) > MAX_TABLETS:
            self._tablets.popitem(last=False)

    # ---- sending ------------------------------------------------------------------------------------------

    def scene_list(self) -> tuple[str, list[Any]]:
        """``/stage/scenes s…``: the scene stems in ``/stage/scene/next`` order."""
        return ("/stage/scenes", [Path(p).stem for p in self.store.scenes])

    def state_messages(self) -> list[tuple[str, list[Any]]]:
        """The reply to ``/stage/state``: ``/stage/scenes`` first (a scene dropdown needs its list before the
        value that selects from it), one message per parameter, then ``/stage/state/done``."""
        store = self.store
        params = messages_for(list(store.parameters()), store.state, store.scene_name)
        return [self.scene_list(), *params, ("/stage/state/done", [store.rev])]

    def echo_messages(self, changes: dict[str, Any]) -> list[tuple[str, list[Any]]]:
        """Echoes of applied ``changes``; a scene change is preceded by ``/stage/scenes``, so a tablet that only
        said ``/stage/hello`` can show it too."""
        msgs = messages_for(list(changes), self.store.state, self.store.scene_name)
        return [self.scene_list(), *msgs] if "scene" in changes else msgs

    def send_state(self, addr: Address) -> None:
        """Send :meth:`state_messages` to ``addr``."""
        for address, args in self.state_messages():
            self._send(addr, address, args)

    def _echo(self, changes: dict[str, Any], source: str) -> None:
        """Store listener: every applied change goes to every tablet heard from in the last 10 minutes."""
        expired = [a for a, seen in self._tablets.items() if self._now - seen > TABLET_IDLE_S]
        for addr in expired:
            del self._tablets[addr]
        if not self._tablets:
            return
        msgs = [build(a, args) for a, args in self.echo_messages(changes)]
        for addr in list(self._tablets):
            for dgram in msgs:
                self._sendto(dgram, addr)

    def _send(self, addr: Address, address: str, args: list[Any]) -> None:
        self._sendto(build(address, args), addr)

    def _earn(self, addr: Address, size: int) -> None:
        """``addr`` sent ``size`` bytes: it may get as many back (outside ``osc_reply_clients``)."""
        if self._full_replies.allows(addr[0]):
            return
        self._credit[addr] = min(CREDIT_MAX_BYTES, self._credit.get(addr, 0) + size)
        self._credit.move_to_end(addr)
        while len(self._credit) > CREDIT_ENTRIES:
            self._credit.popitem(last=False)

    def _spend(self, addr: Address, size: int) -> bool:
        if self._full_replies.allows(addr[0]):
            return True
        left = self._credit.get(addr, 0)
        if left < size:
            self.counters["replies_capped"] += 1
            return False
        self._credit[addr] = left - size
        return True

    def _sendto(self, dgram: bytes, addr: Address) -> None:
        if not self._spend(addr, len(dgram)):
            return
        try:
            self._sock.sendto(dgram, addr)
        except OSError as exc:  # full buffer or unreachable tablet: drop, never block the poll loop
            self.counters["replies_dropped"] += 1
            log.debug("reply to %s dropped: %s", addr, exc)
