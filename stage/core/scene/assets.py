"""Scene asset files: images (PNG/JPEG via Pillow, OpenEXR panoramas via the ASWF ``OpenEXR`` bindings) and glTF
probes, with one typed, one-line error.

Images come back as ``H × W × 4`` uint8 RGBA, row 0 the top, colour values as stored (sRGB-encoded for the
base-colour textures and panoramas this project uses). High-dynamic-range panoramas (``.exr``) come back as
``H × W × 4`` float32 scene-linear RGBA (alpha 1).
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np

from stage.core.files import InputFileError, read_limited

MAX_IMAGE_PIXELS = 4096 * 4096
"""Largest image accepted (width × height)."""
MAX_ASSET_BYTES = 64 * 1024 * 1024
"""Largest asset file accepted."""


class AssetError(ValueError):
    """An asset file is missing or does not parse; the message is one line naming the file and the problem."""


def read_asset(path: Path, max_bytes: int = MAX_ASSET_BYTES) -> bytes:
    """The bytes of ``path``, a regular file of at most ``max_bytes``; a missing, unreadable, oversized or special
    file (a device such as ``/dev/zero``, a pipe) raises :class:`AssetError` before anything large is read."""
    try:
        return read_limited(path, max_bytes)
    except InputFileError as exc:
        if exc.reason == "file not found":
            raise AssetError(f"file not found: {path}") from None
        raise AssetError(str(exc)) from None


def confine(path: Path, roots: list[Path], hint: str) -> Path:
    """``path`` if it lies inside one of ``roots`` once ``..`` and symbolic links are resolved, else
    :class:`AssetError` naming the first root; ``hint`` says how to allow more."""
    real = os.path.realpath(path)
    for root in roots:
        top = os.path.realpath(root)
        if os.path.commonpath([real, top]) == top:
            return path
    raise AssetError(f"{path}: outside {roots[0]} ({hint})")


def decode_image(data: bytes, what: str) -> np.ndarray:
    """PNG/JPEG bytes → ``H × W × 4`` uint8 RGBA (row 0 top); ``what`` names the source in errors."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # Pillow warns between 89 and 179 megapixels; the size check below refuses
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
        with im:
            if im.format not in ("PNG", "JPEG"):
                raise AssetError(f"{what}: unsupported image format {im.format} (use PNG or JPEG)")
            if im.width * im.height > MAX_IMAGE_PIXELS:
                raise AssetError(f"{what}: image too large ({im.width}x{im.height})")
            return np.asarray(im.convert("RGBA"), dtype=np.uint8).copy()
    except UnidentifiedImageError:
        raise AssetError(f"{what}: not a PNG or JPEG image") from None
    except Image.DecompressionBombError:  # the header claims more than twice Pillow's limit
        raise AssetError(f"{what}: image too large (more than {MAX_IMAGE_PIXELS} pixels)") from None
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

        with OpenEXR.File(str(path), header_only=True) as head:
            box = head.header().get("dataWindow")
        if box is not None:
            (x0, y0), (x1, y1) = (tuple(int(v) for v in corner) for corner in box)
            if (x1 - x0 + 1) * (y1 - y0 + 1) > MAX_IMAGE_PIXELS:
                raise AssetError(f"{path}: OpenEXR image too large ({x1 - x0 + 1}x{y1 - y0 + 1})")
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
