"""Shared pytest set-up: the ``--run-slow`` flag for long fuzz/soak variants."""

from __future__ import annotations

from pathlib import Path

import pytest

# GL fixtures (headless EGL context, Xvfb); importing them selects PyOpenGL's EGL platform before any test module
# imports OpenGL.GL.
pytest_plugins = ["tests.renderer.gl_fixtures"]

REPO = Path(__file__).resolve().parent.parent
REFERENCE_DATA = REPO / "tests" / "data" / "reference"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="also run long fuzz/soak tests marked slow")
    parser.addoption("--update-golden", action="store_true", help="rewrite golden images instead of comparing")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow variant: run with --run-slow (make test-all)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def reference_data() -> Path:
    """Public reference data inside the repository (tests/data/reference/README.md gives each file's origin)."""
    return REFERENCE_DATA


@pytest.fixture(scope="session", autouse=True)
def _private_keys(tmp_path_factory: pytest.TempPathFactory) -> None:
    """CURVE keys of ``stage up`` and its clients in a temporary folder, never the user's ~/.config; child
    processes inherit the variable."""
    import os

    from stage.core.keys import ENV, ensure_keys

    os.environ[ENV] = str(tmp_path_factory.mktemp("keys") / "keys")
    ensure_keys()
