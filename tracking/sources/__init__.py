"""Tracking inputs: UDP protocols (FreeD, OpenTrackIO) and timed sources (simulated moves, replays).

Every input turns whatever it reads into :class:`~tracking.sample.TrackerSample` values with their receive time,
and counts what it rejects. ``make_input(config)`` builds the right one.
"""

from __future__ import annotations

from stage.core.config.sources import FreeDSource, OpenTrackIOSource, ReplaySource, SimulatedSource, Source
from tracking.sources.base import Input


def make_input(source: Source, base_dir: str = ".") -> Input:
    if isinstance(source, FreeDSource):
        from tracking.sources.freed_input import FreeDInput

        return FreeDInput(source)
    if isinstance(source, OpenTrackIOSource):
        from tracking.sources.opentrackio_input import OpenTrackIOInput

        return OpenTrackIOInput(source)
    if isinstance(source, SimulatedSource):
        from tracking.sources.simulated_input import SimulatedInput

        return SimulatedInput(source)
    if isinstance(source, ReplaySource):
        from tracking.sources.replay_input import ReplayInput

        return ReplayInput(source, base_dir)
    raise TypeError(f"unknown source kind: {type(source).__name__}")
