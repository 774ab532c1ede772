"""Scene asset files: images (PNG/JPEG via Pillow) and glTF probes, with one typed, one-line error.

Images come back as ``H × W × 4`` uint8 RGBA, row 0 the top, colour values as stored (sRGB-encoded for the
base-colour textures and panoramas this project uses).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

MAX_IMAGE_PIXELS = 4096 * 4096
"""Largest image accepted (width × height)."""
MAX_ASSET_BYTES = 64 * 1024 * 1024
"""Largest asset file accepted."""


class AssetError(ValueError):
    """An asset file is missing or does not parse; the message is one line naming the file and the problem."""


def read_asset(path: Path) -> bytes:
    """The bytes of ``path``; a missing, unreadable or oversized file raises :class:`AssetError`."""
    try:
        size = path.stat().st_size
        if size > MAX_ASSET_BYTES:
            raise AssetError(f"{path}: file too large ({size} bytes)")
        return path.read_bytes()
    except FileNotFoundError:
        raise AssetError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise AssetError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise AssetError(f"{path}: cannot read: {exc.strerror}") from None


def decode_image(data: bytes, what: str) -> np.ndarray:
    """PNG/JPEG bytes → ``H × W × 4`` uint8 RGBA (row 0 top); ``what`` names the source in errors."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format not in ("PNG", "JPEG"):
                raise AssetError(f"{what}: unsupported image format {im.format} (use PNG or JPEG)")
            if im.width * im.height > MAX_IMAGE_PIXELS:
                raise AssetError(f"{what}: image too large ({im.width}x{im.height})")
            return np.asarray(im.convert("RGBA"), dtype=np.uint8).copy()
    except UnidentifiedImageError:
        raise AssetError(f"{what}: not a PNG or JPEG image") from None
    except (OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, AssetError):
            raise
        raise AssetError(f"{what}: corrupt image ({exc})") from None


def load_image(path: Path) -> np.ndarray:
    """Read and decode an image file (see :func:`decode_image`)."""
    return decode_image(read_asset(path), str(path))


def probe_asset(path: Path, kind: str) -> None:
    """Check that ``path`` exists and parses as ``kind`` (``"image"`` or ``"gltf"``); raises :class:`AssetError`.

    Images are decoded fully (they are small); glTF files are parsed fully, including their buffers and
    textures, so a scene that validates also loads.
    """
    if kind == "image":
        load_image(path)
    elif kind == "gltf":
        from stage.scene.gltf import load_gltf

        load_gltf(path, warn=False)
    else:
        raise ValueError(f"unknown asset kind {kind!r}")
