"""Scene asset files: images (PNG/JPEG via Pillow, OpenEXR panoramas via the ASWF ``OpenEXR`` bindings) and glTF
probes, with one typed, one-line error.

Images come back as ``H × W × 4`` uint8 RGBA, row 0 the top, colour values as stored (sRGB-encoded for the
base-colour textures and panoramas this project uses). High-dynamic-range panoramas (``.exr``) come back as
``H × W × 4`` float32 scene-linear RGBA (alpha 1).
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


HDR_SUFFIXES = (".exr",)
"""Panorama files read as scene-linear float (OpenEXR)."""


def load_exr(path: Path) -> np.ndarray:
    """An OpenEXR image's RGB channels as ``H × W × 4`` float32 scene-linear RGBA (row 0 top); raises
    :class:`AssetError` for a missing, corrupt, non-RGB or non-finite file."""
    read_asset(path)  # existence and size, with the same messages as every asset
    try:
        import OpenEXR

        with OpenEXR.File(str(path), separate_channels=True) as exr:
            channels = exr.channels()
            missing = [c for c in "RGB" if c not in channels]
            if missing:
                raise AssetError(f"{path}: OpenEXR image has no {'/'.join(missing)} channel(s) "
                                 f"(found {', '.join(sorted(channels)) or 'none'})")
            rgb = np.stack([np.asarray(channels[c].pixels, dtype=np.float32) for c in "RGB"], axis=-1)
    except AssetError:
        raise
    except Exception as exc:  # the bindings raise RuntimeError/OSError/ValueError for corrupt files
        raise AssetError(f"{path}: corrupt OpenEXR image ({str(exc).splitlines()[0] if str(exc) else exc})") from None
    if rgb.ndim != 3 or rgb.shape[0] * rgb.shape[1] > MAX_IMAGE_PIXELS:
        raise AssetError(f"{path}: OpenEXR image too large or not 2D ({rgb.shape})")
    if not np.isfinite(rgb).all():
        raise AssetError(f"{path}: OpenEXR image has NaN or infinite pixels")
    out = np.ones(rgb.shape[:2] + (4,), dtype=np.float32)
    out[..., :3] = np.maximum(rgb, 0.0)
    return out


def load_panorama(path: Path) -> np.ndarray:
    """A panorama: ``.exr`` as float32 scene-linear (:func:`load_exr`), anything else as uint8 sRGB
    (:func:`load_image`)."""
    return load_exr(path) if path.suffix.lower() in HDR_SUFFIXES else load_image(path)


def probe_asset(path: Path, kind: str) -> None:
    """Check that ``path`` exists and parses as ``kind`` (``"image"``, ``"panorama"`` or ``"gltf"``); raises
    :class:`AssetError`.

    Images are decoded fully (they are small); glTF files are parsed fully, including their buffers and
    textures, so a scene that validates also loads.
    """
    if kind == "image":
        load_image(path)
    elif kind == "panorama":
        load_panorama(path)
    elif kind == "gltf":
        from stage.scene.gltf import load_gltf

        load_gltf(path, warn=False)
    else:
        raise ValueError(f"unknown asset kind {kind!r}")
