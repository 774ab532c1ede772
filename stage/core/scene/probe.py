"""Whether an asset file loads: the check ``stage validate`` and scene selection run on every asset of a scene."""

from __future__ import annotations

from pathlib import Path

from stage.core.scene.assets import load_panorama
from stage.core.scene.gltf import load_gltf


def probe_asset(path: Path, kind: str) -> None:
    """Check that ``path`` exists and parses as ``kind`` (``"image"``, ``"panorama"`` or ``"gltf"``); raises
    :class:`AssetError`.

    Images are decoded fully (they are small); glTF files are parsed fully, including their buffers and
    textures, so a scene that validates also loads.
    """
    if kind in ("image", "panorama"):
        load_panorama(path)  # what the renderer reads textures and panoramas with: PNG/JPEG, or OpenEXR as float
    elif kind == "gltf":
        load_gltf(path, warn=False)
    else:
        raise ValueError(f"unknown asset kind {kind!r}")
