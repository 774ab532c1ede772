"""Argument validators for every command line: each raises ``argparse.ArgumentTypeError`` with a one-line reason,
so argparse prints ``stage <cmd>: error: argument --x: ...`` and exits 2 (moderngl-window's ``valid_window_size``
style)."""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

NEGATIVE_VALUE = re.compile(r"^-(\d|\.\d)[\d.eE+\-]*(,\s*[-+]?[\d.eE+\-]+)*$")
"""A token that is a value, not an option: a negative number or a comma-separated list that starts with one
(``-0.6,-2,1.4,12,15,6``). No option of ours starts with ``-`` and a digit."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse, except that a comma-separated list of numbers starting with a minus sign is a value.

    Plain argparse takes ``--pose -0.6,-2,1.4,12,15,6`` for an unknown option (it only knows ``-1`` and ``-.5`` as
    negative numbers). Sub-parsers made with ``add_subparsers`` inherit this class.

    Errors are one line, ``PROG: error: MESSAGE (PROG -h: help)``, exit 2 (argparse prints the whole usage first).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE_VALUE

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} ({self.prog} -h: help)\n")


def number(lo: float, hi: float, what: str, *, integer: bool = False, lo_open: bool = False) -> Callable[[str], float]:
    """A validator for a number in ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``); ``what`` names it in errors."""

    def parse(text: str) -> float:
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            kind = "whole number" if integer else "number"
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind} ({what})") from None
        low_ok = value > lo if lo_open else value >= lo
        if not (math.isfinite(value) and low_ok and value <= hi):
            bracket = "(" if lo_open else "["
            raise argparse.ArgumentTypeError(f"{text!r}: {what} must be in {bracket}{lo:g}, {hi:g}]")
        return value

    return parse


seconds = number(0.0, 1e7, "seconds", lo_open=True)
"""A positive duration in seconds."""
port = number(0, 65535, "port", integer=True)
"""A UDP/TCP port (0 lets the system choose)."""
positive = number(0.0, 1e5, "a positive number", lo_open=True)
camera_width_px = number(16, 8192, "camera width in px", integer=True)
"""Width of an offline camera image (``stage render``, ``stage golden``)."""
finite = number(-1e9, 1e9, "a finite number")
"""Any finite number of a sane size (no nan, no inf)."""
scene_time_s = number(-1e11, 1e11, "scene time in seconds")
"""A scene time: seconds, up to Unix-clock values (a live node animates on the Unix clock)."""
percent = number(0.0, 100.0, "percent")
"""A percentage in [0, 100]."""


def endpoint(text: str) -> str:
    """A ZeroMQ endpoint (tcp://host:port, ipc://path, inproc://name) with a port in range."""
    from stage.core.config.endpoint import endpoint_problem

    problem = endpoint_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def output_folder(text: str) -> Path:
    """A folder to write into: an existing folder, or one that can be made (no file in the way, the nearest existing
    parent is a writable folder)."""
    path = Path(text)
    if not text or "\0" in text:
        raise argparse.ArgumentTypeError(f"{text!r}: not a folder name")
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        where = "is a file" if probe == path else f"cannot be made: {probe} is a file"
        raise argparse.ArgumentTypeError(f"{text}: {where}, not a folder")
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text}: {probe} is not writable")
    return path
