"""A render node's live state by revision, so a frame is rendered with exactly the revision the leader latched.

The node receives the state stream on its own subscription, so when a frame arrives it may not have that revision
yet (the ``frame`` message overtook the delta) or may already be past it (the next delta came first).
:class:`StateTimeline` follows the stream like :class:`~stage.core.wire.state.StateFollower` and keeps the last
:data:`KEEP_REVISIONS` states by revision; :meth:`StateTimeline.state_for` waits a bounded time for a revision not
yet received. Pure apart from the ``receive`` callable the caller passes (the node's socket read).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from stage.core.live import LiveState
from stage.core.wire.pose import WireError
from stage.core.wire.state import StateFollower

KEEP_REVISIONS = 32
"""States kept by revision (a frame names a revision at most a few frames old)."""


class StateTimeline:
    """The live state at each recent revision."""

    def __init__(self, initial: LiveState) -> None:
        self.follower = StateFollower(initial)
        self.states: OrderedDict[int, LiveState] = OrderedDict([(-1, initial)])
        self.rejects = 0
        self.missed = 0
        """Frames rendered with another revision than the one they named (it never arrived in time)."""

    @property
    def rev(self) -> int:
        return self.follower.rev

    def feed(self, frames: list[bytes]) -> bool:
        """One state message; True when it made a new revision. Malformed messages are counted."""
        try:
            changed = self.follower.handle(frames)
        except WireError:
            self.rejects += 1
            return False
        if changed:
            self.states[self.follower.rev] = self.follower.state
            self.states.move_to_end(self.follower.rev)
            while len(self.states) > KEEP_REVISIONS:
                self.states.popitem(last=False)
        return changed

    def state_for(self, rev: int, receive: Callable[[float], list[list[bytes]]],
                  wait_s: float) -> tuple[int, LiveState]:
        """``(revision, state)`` to render a frame that names ``rev`` with: that revision, waiting up to ``wait_s``
        for it through ``receive(timeout_s) -> messages``; if it does not come, the newest older one (counted in
        :attr:`missed`)."""
        deadline = time.monotonic() + wait_s
        for frames in receive(0.0):  # whatever is waiting, so the node never falls behind the stream
            self.feed(frames)
        while rev not in self.states:
            left = deadline - time.monotonic()
            if left <= 0 or (self.states and rev < next(iter(self.states))):
                break
            for frames in receive(left):
                self.feed(frames)
        if rev in self.states:
            return rev, self.states[rev]
        self.missed += 1
        older = [r for r in self.states if r <= rev]
        chosen = max(older) if older else self.rev
        return chosen, self.states.get(chosen, self.follower.state)
