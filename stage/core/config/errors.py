"""Typed configuration errors: one problem per line, naming the file, key path and reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config file.

    ``path`` is the key path in the file (``walls[2].corners.upper_left``), empty for
    file-level problems; ``line`` is 1-based when known.
    """

    path: str
    message: str
    line: int | None = None

    def format(self, file: str) -> str:
        """``file:line: key.path: reason`` on one line (line breaks in the reason become spaces)."""
        where = f"{file}:{self.line}" if self.line is not None else file
        message = " ".join(self.message.split())
        return f"{where}: {self.path}: {message}" if self.path else f"{where}: {message}"


class ConfigError(Exception):
    """A config file could not be loaded; carries every problem found, not just the first."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [p.format(self.file) for p in self.problems]


def format_loc(loc: tuple[Any, ...]) -> str:
    """``('walls', 2, 'corners', 'upper_left')`` → ``walls[2].corners.upper_left``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
