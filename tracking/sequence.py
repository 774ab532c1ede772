"""Duplicate and out-of-order detection for OpenTrackIO messages, per sender.

* A **duplicate** is the same message again: a sequence number seen recently *with the same payload*. It is
  processed once.
* A message whose sequence number is a little behind the newest and whose sample time is not newer is a **late,
  reordered** datagram: publishing it would move the camera back in time, so it is refused (``out_of_order``).
* A message with a number behind the newest but a newer sample time — or one that arrives after the sender was
  quiet — is a sender that **restarted** and counts from zero again: accepted, and its history starts over.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable

MODULUS = 1 << 16
HISTORY = 256
"""Recent messages remembered per sender for duplicate detection."""
QUIET_RESET_S = 1.0
"""After this long without a message from a sender its history is forgotten."""


class _History:
    __slots__ = ("last_seq", "last_t", "seen", "order", "t_arrival")

    def __init__(self) -> None:
        self.last_seq: int | None = None
        self.last_t: float | None = None
        self.seen: set[tuple[int, int]] = set()
        self.order: deque[tuple[int, int]] = deque()
        self.t_arrival = 0.0


class SequenceGate:
    """Call :meth:`is_duplicate` before decoding a message and :meth:`admit` after."""

    def __init__(self, max_senders: int = 1024):
        self._senders: dict[Hashable, _History] = {}
        self.max_senders = max_senders

    def _history(self, sender: Hashable, now: float) -> _History:
        history = self._senders.get(sender)
        if history is None or now - history.t_arrival > QUIET_RESET_S:
            if history is None and len(self._senders) >= self.max_senders:
                del self._senders[min(self._senders, key=lambda s: self._senders[s].t_arrival)]
            history = self._senders[sender] = _History()
        history.t_arrival = now
        return history

    def is_duplicate(self, sender: Hashable, seq: int, payload: bytes, now: float) -> bool:
        return (seq, hash(payload)) in self._history(sender, now).seen  # bytes cache their hash: admit() reuses it

    def admit(self, sender: Hashable, seq: int, payload: bytes, t_sample: float | None, now: float) -> str | None:
        """Record a decoded message; ``None`` to accept it or the reject reason (``out_of_order``)."""
        history = self._history(sender, now)
        if history.last_seq is not None:
            ahead = (seq - history.last_seq) % MODULUS
            behind = ahead >= MODULUS // 2 or ahead == 0
            if behind:
                newer = t_sample is not None and history.last_t is not None and t_sample > history.last_t
                if not newer:
                    return "out_of_order"
                history = self._senders[sender] = _History()  # the sender restarted
                history.t_arrival = now
        key = (seq, hash(payload))
        history.seen.add(key)
        history.order.append(key)
        if len(history.order) > HISTORY:
            history.seen.discard(history.order.popleft())
        history.last_seq = seq
        if t_sample is not None:
            history.last_t = t_sample
        return None
