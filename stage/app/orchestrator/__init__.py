"""The stage orchestrator: owner of the live state, director control over OSC, presets.

Kept light (no imports with side effects); import the pieces you need, e.g.
``from stage.app.orchestrator.store import StateStore`` or ``from stage.app.orchestrator.osc_server import OscServer``.
"""
