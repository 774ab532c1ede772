"""Every test module that needs an OpenGL context carries the ``gl`` marker, so ``-m "not gl"`` really leaves out
every GL test (test_incamera.py and test_multi_camera.py once ran GL without it)."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
NEEDS_GL = re.compile(r"\b(create_context|render_frame|gl_context|gl_session_context|xvfb_display|start_node|"
                      r"NodeRenderer|StageRenderer|ScenePass)\(|\b(gl_context|gl_session_context|xvfb_display)\b[,:)]")
MARKED = re.compile(r"pytestmark\s*=\s*(\[[^\]]*)?pytest\.mark\.gl\b|@pytest\.mark\.gl\b")


def test_gl_tests_carry_the_gl_marker() -> None:
    unmarked = [p.relative_to(TESTS).as_posix() for p in sorted(TESTS.rglob("test_*.py"))
                if NEEDS_GL.search(p.read_text()) and not MARKED.search(p.read_text())]
    assert not unmarked, f"GL tests without the gl marker: {unmarked}"


def test_the_check_sees_a_gl_test() -> None:
    assert NEEDS_GL.search("    result = render_frame(config, scene, [state])")
    assert NEEDS_GL.search("def test_x(gl_context) -> None:")
    assert not MARKED.search("import pytest\n")
    assert MARKED.search("pytestmark = [pytest.mark.gl, pytest.mark.windowed]")
