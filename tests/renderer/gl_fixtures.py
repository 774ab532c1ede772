"""Pytest fixtures for GL tests: a session-wide headless context and a throw-away Xvfb server.

Import these names into a ``conftest.py`` (or list the module in a test module's ``pytest_plugins``). Importing
the module selects PyOpenGL's EGL platform (see below). The headless context is created on first use;
``gl_context`` makes it current for each test, because other tests may create and close their own contexts.
"""

from __future__ import annotations

import os
import random
import select
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from renderer.gl import GLContext, create_context, ensure_pyopengl_egl

# Imported from conftest, this runs before any test module: PyOpenGL fixes its platform at the first import of
# OpenGL.GL, and every renderer.gl context is an EGL context, so test modules may then import OpenGL.GL at the top.
ensure_pyopengl_egl()

XVFB_START_TIMEOUT_S = 10.0
XVFB_DISPLAYS = (200, 30000)
"""Display numbers our test servers are drawn from (start inclusive, end exclusive)."""
XVFB_ATTEMPTS = 8
XVFB_STOP_TIMEOUT_S = 5.0


@pytest.fixture(scope="session")
def gl_session_context() -> Iterator[GLContext]:
    """One headless (EGL) GL context shared by the session; closed at the end."""
    context = create_context("headless")
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def gl_context(gl_session_context: GLContext) -> GLContext:
    """The session's headless context, made current for this test."""
    gl_session_context.make_current()
    return gl_session_context


def _display_taken(number: int) -> bool:
    return Path(f"/tmp/.X{number}-lock").exists() or Path(f"/tmp/.X11-unix/X{number}").exists()


def start_xvfb(timeout_s: float = XVFB_START_TIMEOUT_S, depth: int = 24) -> tuple[subprocess.Popen[bytes], str]:
    """Start an ``Xvfb`` of our own on a free display number and wait until it accepts clients.

    The number is drawn at random from :data:`XVFB_DISPLAYS` (never ``:0`` or another low number, which a desktop,
    CI service or a parallel test session may hold or free at any moment), skipping numbers with a lock file or
    socket; Xvfb reports through ``-displayfd`` when it is ready, or exits when the number was taken after all, and
    then the next number is tried. ``-noreset``: by default an X server resets when its last client disconnects and
    refuses connections meanwhile — a test whose window closed just before made the next one fail with
    ``X11: Failed to open display``. ``depth``: 24, or 30 for 10 bits per channel. Returns the process and the
    display name (``":N"``). Raises ``RuntimeError`` after :data:`XVFB_ATTEMPTS` failures.
    """
    executable = shutil.which("Xvfb")
    if executable is None:
        raise RuntimeError("Xvfb not found (apt-get install xvfb xauth)")
    rng = random.Random()
    problems = []
    for _ in range(XVFB_ATTEMPTS):
        number = rng.randrange(*XVFB_DISPLAYS)
        if _display_taken(number):
            continue
        try:
            return _start_xvfb_on(executable, number, timeout_s, depth)
        except RuntimeError as exc:
            problems.append(str(exc))
    raise RuntimeError(f"no Xvfb display after {XVFB_ATTEMPTS} attempts: {'; '.join(problems) or 'all taken'}")


def _start_xvfb_on(executable: str, number: int, timeout_s: float,
                   depth: int = 24) -> tuple[subprocess.Popen[bytes], str]:
    read_fd, write_fd = os.pipe()
    try:
        process = subprocess.Popen(
            [executable, f":{number}", "-displayfd", str(write_fd), "-screen", "0", f"1280x720x{depth}", "-nolisten",
             "tcp", "-noreset"],
            pass_fds=(write_fd,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    finally:
        os.close(write_fd)
    try:
        with os.fdopen(read_fd, "rb") as pipe:
            ready, _, _ = select.select([pipe], [], [], timeout_s)
            line = pipe.readline() if ready else b""
        reported = line.strip().decode("ascii")
        if reported != str(number):
            raise RuntimeError(f"Xvfb :{number} did not come up within {timeout_s} s (exit code {process.poll()})")
    except BaseException:
        stop_xvfb(process)
        raise
    return process, f":{number}"


def stop_xvfb(process: subprocess.Popen[bytes]) -> None:
    """Terminate ``process``, killing it if it does not exit in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(XVFB_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(XVFB_STOP_TIMEOUT_S)


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    """Display name (``":N"``) of an Xvfb server 1280x720x24 running for the session; always stopped."""
    process, display = start_xvfb()
    try:
        yield display
    finally:
        stop_xvfb(process)


@pytest.fixture(scope="session")
def xvfb_display_30() -> Iterator[str]:
    """Display name of an Xvfb server 1280x720 at depth 30 (10 bits per channel) for the session."""
    process, display = start_xvfb(depth=30)
    try:
        yield display
    finally:
        stop_xvfb(process)
