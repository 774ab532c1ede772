"""Reading input files with limits: regular files only (never a device such as ``/dev/zero``, a pipe or a folder),
at most a given size, checked before anything large is read."""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

import orjson


class InputFileError(ValueError):
    """A file that cannot be read as input; ``reason`` is one line without the file name."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path, self.reason = str(path), reason
        super().__init__(f"{path}: {reason}")


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """``path`` opened for binary reading if it is a regular file, else :class:`InputFileError`. Opened without
    blocking, so a named pipe is refused instead of waiting forever for a writer."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except IsADirectoryError:
        raise InputFileError(path, "is a folder, not a file") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot read: {exc.strerror or exc}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise InputFileError(path, "is a folder, not a file" if stat.S_ISDIR(mode) else "not a regular file")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_limited(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of the regular file ``path`` (at most ``max_bytes``); else :class:`InputFileError`."""
    with open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size > max_bytes:
            raise InputFileError(path, f"file too large ({size} bytes, at most {max_bytes})")
        try:
            data = f.read(max_bytes + 1)
        except OSError as exc:
            raise InputFileError(path, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:  # grew while being read
        raise InputFileError(path, f"file too large (more than {max_bytes} bytes)")
    return data


def json_object(data: bytes, max_bytes: int) -> dict:
    """The JSON object in ``data``; raises ``ValueError`` with a one-line reason (too large, not JSON, not an
    object). The size is checked before parsing."""
    if len(data) > max_bytes:
        raise ValueError(f"too large ({len(data)} bytes, at most {max_bytes})")
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    return doc
