"""Reading input files with limits: regular files only (never a device such as ``/dev/zero``, a pipe or a folder),
at most a given size, checked before anything large is read."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class InputFileError(ValueError):
    """A file that cannot be read as input; ``reason`` is one line without the file name."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path, self.reason = str(path), reason
        super().__init__(f"{path}: {reason}")


def read_limited(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of the regular file ``path`` (at most ``max_bytes``); else :class:`InputFileError`."""
    try:
        with open(Path(path), "rb") as f:
            info = os.fstat(f.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise InputFileError(path, "is a folder, not a file")
            if not stat.S_ISREG(info.st_mode):
                raise InputFileError(path, "not a regular file")
            if info.st_size > max_bytes:
                raise InputFileError(path, f"file too large ({info.st_size} bytes, at most {max_bytes})")
            data = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except IsADirectoryError:
        raise InputFileError(path, "is a folder, not a file") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:  # grew while being read
        raise InputFileError(path, f"file too large (more than {max_bytes} bytes)")
    return data
