"""Fixtures of the command-line tests."""

from tests.cli.helpers import no_real_work  # noqa: F401 - a fixture
