"""Who the swap barrier waits for: membership of the render nodes and one frame's barrier. Pure: no sockets and
no clock, the leader passes times in.

A node is ``in`` (the barrier waits for it), ``joining`` (it reported ready while not a member; it becomes ``in``
at the next frame boundary), ``dropped`` (it missed a barrier by more than the timeout; the others went on
without it) or ``left`` (it said it was stopping: the barrier stops waiting for it at once). A dropped or left node
that reports ready again is ``joining``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

IN, JOINING, DROPPED, LEFT = "in", "joining", "dropped", "left"


@dataclass
class NodeRecord:
    """What the leader knows about one node."""

    state: str
    drops: int = 0
    joins: int = 0
    frames_ready: int = 0
    """Frames this node reported ready for in time, as a member."""


@dataclass
class Membership:
    nodes: dict[str, NodeRecord] = field(default_factory=dict)

    def heard(self, node: str) -> bool:
        """A ready report from ``node``; True when that makes it a joining node."""
        record = self.nodes.get(node)
        if record is None:
            self.nodes[node] = NodeRecord(JOINING)
            return True
        if record.state in (DROPPED, LEFT):
            record.state = JOINING
            return True
        return False

    def boundary(self) -> list[str]:
        """Frame boundary: joining nodes become members; returns the members, sorted."""
        for record in self.nodes.values():
            if record.state == JOINING:
                record.state = IN
                record.joins += 1
        return self.members()

    def members(self) -> list[str]:
        return sorted(name for name, record in self.nodes.items() if record.state == IN)

    def leave(self, node: str) -> bool:
        """``node`` is stopping (a ``leave`` report); True when it was a member or joining."""
        record = self.nodes.get(node)
        if record is None or record.state not in (IN, JOINING):
            return False
        record.state = LEFT
        return True

    def drop(self, nodes: Iterable[str]) -> None:
        for name in nodes:
            record = self.nodes[name]
            if record.state == IN:
                record.state = DROPPED
                record.drops += 1


class FrameBarrier:
    """The barrier of one frame: complete when every member has reported ready for this frame."""

    def __init__(self, frame: int, members: Iterable[str]) -> None:
        self.frame = frame
        self.members = frozenset(members)
        self.ready_at: dict[str, int] = {}
        """Member → when its ready arrived (ns)."""

    def ready(self, node: str, frame: int, at_ns: int) -> bool:
        """Record a ready report; True when it counts for this barrier."""
        if frame != self.frame or node not in self.members or node in self.ready_at:
            return False
        self.ready_at[node] = at_ns
        return True

    def excuse(self, node: str) -> None:
        """Stop waiting for ``node`` (it left): the barrier completes without it."""
        if node not in self.ready_at:
            self.members = self.members - {node}

    @property
    def complete(self) -> bool:
        return len(self.ready_at) == len(self.members)

    def missing(self) -> list[str]:
        return sorted(self.members - self.ready_at.keys())

    def last_ready_ns(self) -> int | None:
        return max(self.ready_at.values()) if self.ready_at else None
