"""The shared core: config and scene models, geometry, pose, lens, colour, wire formats, live state, takes.

Imports only the standard library, third-party packages and itself: never ``tracking``, ``renderer`` or
:mod:`stage.app` (tests/test_layers.py checks every import)."""
