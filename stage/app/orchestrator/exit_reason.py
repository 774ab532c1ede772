"""Why a child exited: the last error line its own log holds for the run that just ended (``stage status``).

Children log through ``logging`` (``... ERROR name: message``), print ``stage CMD: error: ...`` or die with a
traceback whose last line is ``SomeError: message``; :func:`last_error_line` finds the last such line, else the
last line the run wrote that is not a routine ``DEBUG``/``INFO`` record (a process killed by a signal usually
left no reason: None). Pure: text in, one line out.
"""

from __future__ import annotations

import re
from pathlib import Path

TAIL_BYTES = 64 * 1024
"""Only the end of a run's log is read."""
MAX_CHARS = 300
"""The reason is cut to this many characters."""

_ERROR = re.compile(r"\b(ERROR|CRITICAL|FATAL)\b|error:|\b\w*(Error|Exception|Interrupt)\b:")
_ROUTINE = re.compile(r"^\S+ \S+ (DEBUG|INFO) |^(DEBUG|INFO):")
_NOT_A_REASON = re.compile(r"^(Traceback \(most recent call last\):|During handling of the above exception|\s)")


def last_error_line(text: str) -> str | None:
    """The last error line of ``text`` (one run's output), else its last line that is not a routine log record;
    None when there is none."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip() and not line.startswith("=== ")]
    candidates = [line for line in lines if _ERROR.search(line) and not _NOT_A_REASON.match(line)]
    plain = [line for line in lines if not _ROUTINE.search(line)]  # not a reason: a routine DEBUG/INFO record
    found = candidates[-1] if candidates else (plain[-1] if plain else None)
    if found is None:
        return None
    found = " ".join(found.split())
    return found if len(found) <= MAX_CHARS else found[: MAX_CHARS - 1] + "…"


def read_reason(log_file: Path, since: int) -> str | None:
    """:func:`last_error_line` of what ``log_file`` gained after byte ``since`` (the run's start); None when it
    cannot be read."""
    try:
        with open(log_file, "rb") as f:
            size = f.seek(0, 2)
            f.seek(max(since, size - TAIL_BYTES) if since <= size else max(0, size - TAIL_BYTES))
            data = f.read()
    except OSError:
        return None
    return last_error_line(data.decode("utf-8", "replace"))
