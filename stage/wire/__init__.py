"""Wire formats shared by the tracking daemon, render nodes and orchestrator (docs/wire-protocol.md).

Each module holds one format: pure ``encode(...) -> frames`` and ``decode(frames) -> value``; sockets live
elsewhere.
"""
