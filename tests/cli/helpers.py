"""Running the ``stage`` command line in-process and checking that bad input ends in one clear line and exit 2.

Every heavy entry point (the orchestrator, the demo, a render, the tracking daemon, the control client) is replaced
by one that fails the test: a bad input must be refused before any of them starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stage.app.cli import main

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"


def tiny_pitch_config(folder: Path) -> Path:
    """``configs/flat-wall.yaml`` with its wall sized by ``pixel_pitch_mm: 1e-320`` (line 10), scene made absolute."""
    text = (REPO / "configs" / "flat-wall.yaml").read_text()
    cabinets = re.search(r"^    cabinets:.*\n(?:      .*\n)+", text, re.MULTILINE)
    assert cabinets is not None and text[: cabinets.start()].count("\n") == 9, "flat-wall.yaml changed shape"
    text = text[: cabinets.start()] + "    pixel_pitch_mm: 1e-320\n" + text[cabinets.end():]
    path = folder / "tiny-pitch.yaml"
    path.write_text(text.replace("scene: ../scenes/", f"scene: {REPO}/scenes/"))
    return path


class Accepted(Exception):
    """A bad input got as far as starting real work."""


def _accepted(*args: object, **kwargs: object) -> None:
    raise Accepted(f"bad input was accepted and reached {args[:1]!r}")


@pytest.fixture
def no_real_work(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import renderer.offline
    import stage.app.orchestrator.client
    import stage.app.orchestrator.demo_run
    import stage.app.orchestrator.stage_up
    import tracking.cli

    monkeypatch.setattr(stage.app.orchestrator.stage_up.Orchestrator, "_bind", _accepted)  # after config and scenes
    monkeypatch.setattr(stage.app.orchestrator.demo_run, "run_demo", _accepted)
    monkeypatch.setattr(renderer.offline, "render_frame", _accepted)
    monkeypatch.setattr(tracking.cli, "TrackingDaemon", _accepted)
    monkeypatch.setattr(stage.app.orchestrator.client, "request", _accepted)
    monkeypatch.setattr(stage.app.orchestrator.client, "down", _accepted)
    yield


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def run_stage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Outcome:
    """``stage ARGV`` in this process: exit code (argparse's SystemExit included), stdout, stderr."""
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


ONE_LINE = re.compile(r"^(stage [a-z]+( [a-z]+)?: error: .+|\S+?:\d+: \S.*|\S+?: \S.*)$")
"""``stage CMD: error: ...`` or ``file:line: key: reason`` (or ``file: reason`` for file-level problems)."""


def assert_refused(outcome: Outcome, what: str) -> None:
    """Exit 2, exactly one line on stderr in one of the two forms, no traceback."""
    assert "Traceback" not in outcome.err, f"{what}: traceback\n{outcome.err}"
    assert outcome.code == 2, f"{what}: exit {outcome.code}, stderr {outcome.err!r}"
    assert len(outcome.lines) == 1, f"{what}: expected one line, got {outcome.lines}"
    assert ONE_LINE.match(outcome.lines[0]), f"{what}: not a one-line error: {outcome.lines[0]!r}"
