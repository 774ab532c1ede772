"""Pytest fixtures for GL tests: a session-wide headless context and a throw-away Xvfb server.

Import these names into a ``conftest.py`` (or list the module in a test module's ``pytest_plugins``). Importing
the module selects PyOpenGL's EGL platform (see below). The headless context is created on first use;
``gl_context`` makes it current for each test, because other tests may create and close their own contexts.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from renderer.gl import GLContext, create_context, ensure_pyopengl_egl

# Imported from conftest, this runs before any test module: PyOpenGL fixes its platform at the first import of
# OpenGL.GL, and every renderer.gl context is an EGL context, so test modules may then import OpenGL.GL at the top.
ensure_pyopengl_egl()

XVFB_START_TIMEOUT_S = 10.0
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


def start_xvfb(timeout_s: float = XVFB_START_TIMEOUT_S) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``Xvfb`` on a free display number (it picks one and reports it through ``-displayfd``).

    Returns the process and the display name (``":N"``). Raises ``RuntimeError`` if it does not report
    within ``timeout_s``; the process is killed in that case.
    """
    executable = shutil.which("Xvfb")
    if executable is None:
        raise RuntimeError("Xvfb not found (apt-get install xvfb xauth)")
    read_fd, write_fd = os.pipe()
    try:
        process = subprocess.Popen(
            [executable, "-displayfd", str(write_fd), "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
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
        number = line.strip().decode("ascii")
        if not number.isdigit():
            raise RuntimeError(f"Xvfb did not report a display within {timeout_s} s (exit code {process.poll()})")
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
