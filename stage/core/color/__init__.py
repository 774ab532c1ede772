"""Colour science of the wall output transform, in plain numpy (no GL): transfer functions, gamut matrices,
white balance and ``.cube`` 3D LUTs. ``docs/color.md`` describes the pipeline and its order of operations.

Import the submodules directly (``from stage.core.color.transfer import pq_encode``); this package imports nothing.
"""
