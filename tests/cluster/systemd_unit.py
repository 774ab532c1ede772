"""Reading a systemd unit as systemd does, for tests (systemd itself cannot run here): systemd.syntax(7) for the
file (sections, ``Key=value``, ``#``/``;`` comments, repeated keys kept in order, ``\\`` continuation lines),
systemd.unit(5) for specifiers (``%i``, ``%%``) and systemd.service(5) for splitting a command line (double
quotes with C escapes; ``$$`` is a literal ``$``)."""

from __future__ import annotations

import shlex
from pathlib import Path


def read_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """Section → key → every value, in order."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{line!r} outside a section"
        key, sep, value = line.partition("=")
        assert sep, f"not a Key=value line: {line!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def specifiers(value: str, instance: str) -> str:
    """``%i`` → ``instance``, ``%%`` → ``%`` (the specifiers a node unit uses)."""
    out, i = [], 0
    while i < len(value):
        if value[i] == "%" and i + 1 < len(value):
            code = value[i + 1]
            assert code in "i%", f"specifier %{code} not expected in {value!r}"
            out.append(instance if code == "i" else "%")
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def command_line(value: str, instance: str) -> list[str]:
    """An ``ExecStart=`` value as the argv systemd runs for ``instance``."""
    return [word.replace("$$", "$") for word in shlex.split(specifiers(value, instance))]


def environment(values: list[str], instance: str) -> dict[str, str]:
    """``Environment=`` lines as a dict (later assignments win)."""
    env: dict[str, str] = {}
    for value in values:
        for assignment in shlex.split(specifiers(value, instance)):
            key, _, val = assignment.partition("=")
            env[key] = val
    return env


def working_directory(value: str, instance: str) -> Path:
    return Path(specifiers(value, instance))
