"""Wire formats shared by the tracking daemon, render nodes and orchestrator (docs/wire-protocol.md).

Each module holds one format: pure ``encode(...) -> frames`` and ``decode(frames) -> value``; sockets live
elsewhere. :mod:`stage.core.wire.base` holds what they share: the lenient base model (unknown fields ignored), the
major-version check every decoder makes, and :class:`~stage.core.wire.base.WireError`.
"""
