"""A reader of OpenTrackIO samples written to the rules of SMPTE's reference parser (our own code, not a copy).

Rules read in SMPTE/ris-osvp-metadata-camdkit:

- ``src/test/python/parser/opentrackio_lib.py`` (class ``OpenTrackIOProtocol``):
  * the camera pose is the first entry of ``transforms`` whose ``id`` contains ``"Camera"`` (``cameraname in
    tr["id"]``, so every transform before it needs an ``id``); its ``translation`` x/y/z and ``rotation``
    pan/tilt/roll are indexed directly (must be present); no such transform → ``None``;
  * ``get_timecode`` needs ``timing.timecode.hours`` and then indexes minutes, seconds, frames;
  * ``get_timecode_framerate`` is ``timing.sampleRate.num / denom`` (``None`` without ``timing.sampleRate``);
  * ``get_sample_time`` reads ``timing.sampleTimestamp`` seconds + nanoseconds; as timecode its frames are
    ``int(nanoseconds · 1e-9 · get_timecode_framerate())`` — a ``TypeError`` without ``sampleRate``;
  * ``get_protocol_version`` joins ``protocol.version`` with dots; ``get_lens_encoders`` reads ``lens.encoders``
    (else ``lens.rawEncoders``, else it raises); ``get_focus_distance`` reads ``lens.focusDistance``.
- ``src/test/python/parser/opentrackio_parser.py`` (``main``): prints the frame rate with ``{:.5}`` and the camera
  rotation in radians with ``{:.5}``, so a missing sample rate or camera transform fails the run.
- ``src/main/python/camdkit/transform_types.py``: ``Transform`` = translation, rotation, optional scale, optional id.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any


class ReferenceParserError(Exception):
    """Where SMPTE's reference parser would raise or print ``None`` for something a complete sample has."""


class CamdkitRulesReader:
    """One decoded sample, read as the reference parser reads it; :meth:`read_completely` is its whole ``main``."""

    def __init__(self, sample: dict[str, Any]):
        self.pd = sample

    def _has(self, *keys: str) -> bool:
        node: Any = self.pd
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                return False
            node = node[key]
        return True

    def camera_transform(self, name: str = "Camera") -> dict[str, Any] | None:
        for tr in self.pd.get("transforms", []):
            if name in tr["id"]:  # KeyError on a transform without id, as in the reference
                return tr
        return None

    def camera_translation_m(self) -> tuple[float, float, float] | None:
        tr = self.camera_transform()
        return None if tr is None else (tr["translation"]["x"], tr["translation"]["y"], tr["translation"]["z"])

    def camera_rotation_deg(self) -> tuple[float, float, float] | None:
        tr = self.camera_transform()
        return None if tr is None else (tr["rotation"]["pan"], tr["rotation"]["tilt"], tr["rotation"]["roll"])

    def timecode(self) -> str | None:
        if not self._has("timing", "timecode", "hours"):
            return None
        tc = self.pd["timing"]["timecode"]
        return ":".join(f"{int(tc[key]):02}" for key in ("hours", "minutes", "seconds", "frames"))

    def sample_rate_hz(self) -> float | None:
        if not self._has("timing", "sampleRate", "num"):
            return None
        rate = self.pd["timing"]["sampleRate"]
        return float(rate["num"]) / float(rate["denom"])

    def sample_time_s(self) -> float | None:
        if not self._has("timing", "sampleTimestamp", "seconds"):
            return None
        ts = self.pd["timing"]["sampleTimestamp"]
        return int(ts["seconds"]) + int(ts["nanoseconds"]) * 1e-9

    def sample_time_as_timecode(self) -> str | None:
        if not self._has("timing", "sampleTimestamp", "seconds"):
            return None
        ts = self.pd["timing"]["sampleTimestamp"]
        seconds, nanoseconds = int(ts["seconds"]), int(ts["nanoseconds"])
        rate = self.sample_rate_hz()
        if rate is None:
            raise ReferenceParserError("timing.sampleRate missing: the sample time has no timecode frames")
        base = datetime(1970, 1, 1) + timedelta(seconds=seconds, microseconds=nanoseconds / 1000)
        return f"{base.hour:02}:{base.minute:02}:{base.second:02}:{int(nanoseconds * 1e-9 * rate):02}"

    def protocol(self) -> tuple[str, str] | None:
        if not self._has("protocol", "version"):
            return None
        return str(self.pd["protocol"]["name"]), ".".join(str(v) for v in self.pd["protocol"]["version"])

    def lens_encoders(self) -> dict[str, float]:
        if not self._has("lens"):
            raise ReferenceParserError("Lens data not available.")
        lens = self.pd["lens"]
        encoders = lens.get("encoders", lens.get("rawEncoders"))
        if encoders is None:
            raise ReferenceParserError("Lens encoder data not available.")
        return {key: encoders[key] for key in ("focus", "iris", "zoom") if key in encoders}

    def focus_distance_m(self) -> float | None:
        return float(self.pd["lens"]["focusDistance"]) if self._has("lens", "focusDistance") else None

    def read_completely(self) -> dict[str, Any]:
        """Everything the reference parser's ``main`` prints; raises :class:`ReferenceParserError` where it would
        fail (no camera transform, no sample rate)."""
        position, rotation = self.camera_translation_m(), self.camera_rotation_deg()
        if position is None or rotation is None:
            raise ReferenceParserError("no transform whose id contains 'Camera'")
        rate = self.sample_rate_hz()
        if rate is None:
            raise ReferenceParserError("timing.sampleRate missing: the frame rate cannot be printed")
        return {
            "protocol": self.protocol(),
            "timecode": self.timecode(),
            "rate_hz": rate,
            "t_sample": self.sample_time_s(),
            "sample_timecode": self.sample_time_as_timecode(),
            "position_m": position,
            "rotation_deg": rotation,
            "rotation_rad": tuple(math.radians(a) for a in rotation),
            "focus_m": self.focus_distance_m(),
        }
