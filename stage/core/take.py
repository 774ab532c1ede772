"""The take file: a recording of the pose stream, as JSON lines.

Line 1 is a header object::

    {"take": 1, "name": "A001", "created": 1767225600.0, "config": "configs/demo.yaml", "cameras": ["cam1"]}

(``take`` is the format version, ``created`` seconds since the Unix epoch, ``config`` the stage config path or
null, ``cameras`` the camera ids the config declares). Every further line is one ``pose/<camera>`` message body
exactly as the daemon published it (:class:`stage.core.wire.pose.PoseMessage`), in arrival order.

The writer flushes every line, so a crash loses at most the line being written; the reader tolerates a truncated
last line (no newline, not valid) with a warning, and rejects any other bad line with ``file:line: reason``.
Parsing is a pure function of the lines (:func:`parse_take`); :class:`TakeWriter` owns the file and nothing else.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
from pydantic import ValidationError

from stage.core.files import InputFileError, open_regular
from stage.core.wire.base import WireError, check_major
from stage.core.wire.pose import PoseMessage

log = logging.getLogger(__name__)

TAKE_VERSION = 1
TAKE_SUFFIX = ".take.jsonl"
FSYNC_INTERVAL_S = 0.1
"""The writer calls ``os.fsync`` at most this often (it flushes every line)."""
DEDUP_WINDOW = 4096
"""How many recent seqs per camera :class:`Deduper` remembers."""


class TakeError(ValueError):
    """A take file that cannot be read; the message is one line, ``file:line: reason``."""


class TakeExistsError(TakeError):
    """The take file already exists and overwriting was not asked for."""


@dataclass(frozen=True)
class TakeHeader:
    """The first line of a take."""

    name: str
    created: float
    config: str | None = None
    cameras: tuple[str, ...] = ()

    def to_line(self) -> bytes:
        """The header as one JSON line, newline included."""
        body = {"take": TAKE_VERSION, "name": self.name, "created": self.created, "config": self.config,
                "cameras": list(self.cameras)}
        return json.dumps(body, allow_nan=False).encode() + b"\n"

    @classmethod
    def parse(cls, line: bytes, where: str) -> TakeHeader:
        """Parse a header line; raises :class:`TakeError` naming ``where``."""
        try:
            obj: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TakeError(f"{where}: header is not JSON ({exc.msg})") from None
        except UnicodeDecodeError:
            raise TakeError(f"{where}: header is not UTF-8") from None
        if not isinstance(obj, dict) or "take" not in obj:
            raise TakeError(f"{where}: not a take file (the first line must be a header with a 'take' key)")
        if obj["take"] != TAKE_VERSION:
            raise TakeError(f"{where}: unsupported take version {obj['take']!r} (this reader knows {TAKE_VERSION})")
        name, created, config, cameras = obj.get("name"), obj.get("created"), obj.get("config"), obj.get("cameras")
        if not isinstance(name, str):
            raise TakeError(f"{where}: header.name: expected a string, got {name!r}")
        if isinstance(created, bool) or not isinstance(created, int | float) or not math.isfinite(created):
            raise TakeError(f"{where}: header.created: expected epoch seconds, got {created!r}")
        if config is not None and not isinstance(config, str):
            raise TakeError(f"{where}: header.config: expected a path or null, got {config!r}")
        if not isinstance(cameras, list) or not all(isinstance(c, str) for c in cameras):
            raise TakeError(f"{where}: header.cameras: expected a list of camera ids, got {cameras!r}")
        return cls(name=name, created=float(created), config=config, cameras=tuple(cameras))


@dataclass(frozen=True)
class Take:
    """A parsed take: header, samples in file order, and warnings (a truncated last line)."""

    header: TakeHeader
    samples: tuple[PoseMessage, ...]
    warnings: tuple[str, ...] = ()

    @property
    def cameras(self) -> list[str]:
        """Camera ids that have samples, in order of first appearance."""
        return list(dict.fromkeys(s.camera for s in self.samples))

    def samples_for(self, camera: str) -> list[PoseMessage]:
        """The samples of one camera, in file order."""
        return [s for s in self.samples if s.camera == camera]


def _reason(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else err["msg"]


def _check_major(line: bytes) -> None:
    """The wire rule for a recorded pose: another major version is refused (unknown fields are ignored)."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return  # the model's own JSON error names the problem
    if isinstance(data, dict) and "v" in data:
        check_major(data, "pose")


def parse_take(lines: Iterable[bytes], source: str) -> Take:
    """Parse a take from its lines (each with its trailing newline, as a binary file iterates).

    ``source`` names the file in messages. Raises :class:`TakeError` at the first bad line, except a last line
    without a newline (a write cut short), which becomes a warning.
    """
    it: Iterator[bytes] = iter(lines)
    first = next(it, None)
    if first is None:
        raise TakeError(f"{source}: empty file (no take header)")
    header = TakeHeader.parse(first, f"{source}:1")
    samples: list[PoseMessage] = []
    warnings: list[str] = []
    pending: tuple[int, bytes, str] | None = None  # a bad line that may turn out to be the truncated last one
    for number, line in enumerate(it, start=2):
        if pending is not None:
            raise TakeError(f"{source}:{pending[0]}: {pending[2]}")
        try:
            _check_major(line)
            samples.append(PoseMessage.model_validate_json(line))
        except (ValidationError, WireError) as exc:
            reason = str(exc) if isinstance(exc, WireError) else "empty line" if not line.strip() else _reason(exc)
            if line.endswith(b"\n"):
                raise TakeError(f"{source}:{number}: {reason}") from None
            pending = (number, line, reason)
    if pending is not None:
        warnings.append(f"{source}:{pending[0]}: truncated last line ignored ({len(pending[1])} bytes: "
                        f"{pending[2]})")
        log.info("%s", warnings[-1])  # returned to the caller, who decides what a person sees
    return Take(header=header, samples=tuple(samples), warnings=tuple(warnings))


MAX_LINE_BYTES = 64 * 1024
"""Longest line of a take file (a pose message is well under 2 KiB)."""


def bounded_lines(f: IO[bytes], source: str, max_bytes: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """The lines of ``f``; a line longer than ``max_bytes`` raises :class:`TakeError` before it is held whole."""
    number = 0
    while True:
        line = f.readline(max_bytes + 1)
        if not line:
            return
        number += 1
        if len(line) > max_bytes:
            raise TakeError(f"{source}:{number}: line longer than {max_bytes} bytes")
        yield line


def read_take(path: str | os.PathLike[str],
              wrap: Callable[[Iterator[bytes], int], Iterator[bytes]] | None = None) -> Take:
    """Read and validate a take file (a regular file); raises :class:`TakeError` (also for a missing or unreadable
    file, a device or a folder). ``wrap(lines, size_bytes)`` may watch the lines go by (a progress bar)."""
    try:
        with open_regular(path) as f:
            lines = bounded_lines(f, str(path))
            return parse_take(wrap(lines, os.fstat(f.fileno()).st_size) if wrap else lines, str(path))
    except InputFileError as exc:
        raise TakeError(str(exc)) from None
    except OSError as exc:
        raise TakeError(f"{path}: {exc.strerror or exc}") from None


def take_path(directory: str | os.PathLike[str], name: str) -> Path:
    """``DIR/NAME.take.jsonl``; raises :class:`TakeError` for a name that is not a plain file name."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise TakeError(f"take name {name!r}: use a plain name without slashes")
    return Path(directory) / (name + TAKE_SUFFIX)


def one_line(body: bytes) -> bytes:
    """A JSON body as exactly one line (re-serialised compactly only when it spans several)."""
    if b"\n" in body or b"\r" in body:
        body = json.dumps(json.loads(body), allow_nan=False, separators=(",", ":")).encode()
    return body + b"\n"


@dataclass
class TakeWriter:
    """Writes a take file: header first, then one body per line, flushed each line, fsynced every 100 ms."""

    path: Path
    header: TakeHeader
    force: bool = False
    fsync_interval_s: float = FSYNC_INTERVAL_S
    lines: int = 0
    _file: IO[bytes] | None = field(default=None, repr=False)
    _last_sync: float = field(default=0.0, repr=False)
    _dirty: bool = field(default=False, repr=False)

    def __enter__(self) -> TakeWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._file = open(self.path, "wb" if self.force else "xb")
        except FileExistsError:
            raise TakeExistsError(f"{self.path}: take exists (use --force to overwrite)") from None
        except OSError as exc:
            raise TakeError(f"{self.path}: {exc.strerror or exc}") from None
        self._file.write(self.header.to_line())
        self._file.flush()
        self.sync()
        return self

    def write(self, body: bytes) -> None:
        """Append one message body as a line; flush now, fsync when the last one is old enough."""
        if self._file is None:
            raise RuntimeError("TakeWriter.write outside its with-block")
        self._file.write(one_line(body))
        self._file.flush()
        self.lines += 1
        self._dirty = True
        self.maybe_sync()

    def maybe_sync(self) -> None:
        """fsync if there are unsynced lines and the last fsync is older than the interval."""
        if self._dirty and time.monotonic() - self._last_sync >= self.fsync_interval_s:
            self.sync()

    def sync(self) -> None:
        if self._file is not None:
            os.fsync(self._file.fileno())
            self._last_sync = time.monotonic()
            self._dirty = False

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            try:
                self.sync()
            finally:
                self._file.close()
                self._file = None


class Deduper:
    """Decides which pose messages a recording keeps.

    Skips a re-send of a sample already kept: a stale message (``stale: true``) whose seq was already recorded
    for its camera, and any message repeating a kept ``(camera, seq)`` with the same ``t_sample`` (a late joiner's
    last-value re-send). A seq seen before with a different ``t_sample`` and not stale is a daemon restart (seq
    starts again at 0 with new samples) and is kept. Remembers the last :data:`DEDUP_WINDOW` seqs per camera.
    """

    def __init__(self, window: int = DEDUP_WINDOW):
        self._window = window
        self._seen: dict[str, OrderedDict[int, float]] = {}
        self.skipped = 0

    def accept(self, message: PoseMessage) -> bool:
        """True when ``message`` is new (and remember it), False for a re-send."""
        seen = self._seen.setdefault(message.camera, OrderedDict())
        previous = seen.get(message.seq)
        if previous is not None and (message.stale or previous == message.t_sample):
            self.skipped += 1
            return False
        seen[message.seq] = message.t_sample
        seen.move_to_end(message.seq)
        if len(seen) > self._window:
            seen.popitem(last=False)
        return True
