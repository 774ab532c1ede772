"""Process priority (stage.core.priority): where it is not permitted, one warning line and the process carries on."""

from __future__ import annotations

import errno
import logging
import os

import pytest

from stage.core.priority import NORMAL, apply_priority


def test_not_permitted_is_one_warning_and_normal(monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    def refuse(*_args: object) -> None:
        raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "sched_setscheduler", refuse)
    monkeypatch.setattr(os, "setpriority", refuse)
    with caplog.at_level(logging.WARNING, logger="stage.core.priority"):
        assert apply_priority("realtime", "stage clock") == NORMAL
        assert apply_priority("high", "render node n1") == NORMAL
    assert [r.getMessage() for r in caplog.records] == [
        "stage clock: cannot set realtime priority (Operation not permitted): running at normal priority",
        "render node n1: cannot set high priority (Operation not permitted): running at normal priority"]


def test_normal_changes_nothing_and_unknown_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_setscheduler", lambda *a: pytest.fail("normal must not touch the scheduler"))
    assert apply_priority("normal", "x") == NORMAL
    with pytest.raises(ValueError, match="must be one of normal, high, realtime"):
        apply_priority("urgent", "x")
