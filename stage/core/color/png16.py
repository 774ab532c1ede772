"""16-bit RGB PNG writing and reading with the standard library (``zlib`` + ``struct``) and numpy.

Pillow reads 16-bit RGB PNGs as 8-bit and cannot write them (its 16-bit PNG mode ``I;16`` is single-channel), so
PQ wall images — where 8 bits would band — are written here: colour type 2 (RGB), bit depth 16, big-endian samples,
filter type 0 on every row, no interlace. Output is deterministic (same array → same bytes). The reader accepts any
non-interlaced 8- or 16-bit greyscale/RGB/RGBA PNG with all five filter types (to check what was written and to
load goldens) and returns uint16 RGB.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COMPRESSION_LEVEL = 9
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}
"""PNG colour type → samples per pixel (greyscale, RGB, grey + alpha, RGBA)."""


class PNGError(ValueError):
    """A PNG cannot be written or read; the message names the file."""


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png16(image: np.ndarray) -> bytes:
    """PNG bytes of ``image``: uint16 ``H×W×3`` or ``H×W×4`` (alpha dropped), row 0 the top."""
    image = np.asarray(image)
    if image.dtype != np.uint16 or image.ndim != 3 or image.shape[2] not in (3, 4):
        raise PNGError(f"16-bit PNG needs a uint16 H×W×3 or H×W×4 array, got {image.dtype} {image.shape}")
    height, width = image.shape[:2]
    rgb = np.ascontiguousarray(image[:, :, :3], dtype=">u2").reshape(height, width * 3).view(np.uint8)
    raw = np.concatenate([np.zeros((height, 1), np.uint8), rgb], axis=1).tobytes()
    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return (PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, COMPRESSION_LEVEL))
            + _chunk(b"IEND", b""))


def save_png16(image: np.ndarray, path: str | Path) -> None:
    """Write ``image`` (see :func:`encode_png16`) to ``path``, creating folders; replaced atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(encode_png16(image))
    tmp.replace(path)


def _unfilter(data: bytes, height: int, stride: int, bpp: int, source: str) -> np.ndarray:
    rows = np.frombuffer(data, np.uint8)
    if rows.size != height * (stride + 1):
        raise PNGError(f"{source}: image data is {rows.size} bytes, expected {height * (stride + 1)}")
    rows = rows.reshape(height, stride + 1)
    out = np.zeros((height, stride), np.uint8)
    prev = np.zeros(stride, np.int32)
    for y in range(height):
        kind, line = int(rows[y, 0]), rows[y, 1:].astype(np.int32)
        if kind == 0:
            cur = line
        elif kind == 2:
            cur = (line + prev) & 0xFF
        elif kind == 1:
            cur = np.cumsum(line.reshape(-1, bpp), axis=0).reshape(-1) & 0xFF
        elif kind in (3, 4):
            cur = np.zeros(stride, np.int32)
            for x in range(stride):
                a = int(cur[x - bpp]) if x >= bpp else 0
                b, c = int(prev[x]), int(prev[x - bpp]) if x >= bpp else 0
                if kind == 3:
                    pred = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (int(line[x]) + pred) & 0xFF
        else:
            raise PNGError(f"{source}: unknown filter type {kind} on row {y}")
        out[y] = cur
        prev = cur
    return out


def decode_png(data: bytes, source: str = "<bytes>") -> np.ndarray:
    """Decode a non-interlaced 8- or 16-bit greyscale/RGB(A) PNG to uint16 ``H×W×3`` (8-bit samples × 257)."""
    if not data.startswith(PNG_SIGNATURE):
        raise PNGError(f"{source}: not a PNG file")
    pos, header, idat = len(PNG_SIGNATURE), None, []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length:
            raise PNGError(f"{source}: truncated {kind.decode('latin-1')} chunk")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None:
        raise PNGError(f"{source}: no IHDR chunk")
    width, height, depth, color_type, _, _, interlace = header
    if depth not in (8, 16) or color_type not in _CHANNELS or interlace:
        raise PNGError(f"{source}: unsupported PNG (bit depth {depth}, colour type {color_type}, "
                       f"interlace {interlace})")
    channels = _CHANNELS[color_type]
    bpp = channels * depth // 8
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as exc:
        raise PNGError(f"{source}: corrupt image data: {exc}") from None
    pixels = _unfilter(raw, height, width * bpp, bpp, source)
    samples = pixels.view(">u2").astype(np.uint16) if depth == 16 else pixels.astype(np.uint16) * 257
    samples = samples.reshape(height, width, channels)
    if channels <= 2:
        return np.repeat(samples[:, :, :1], 3, axis=2)
    return np.ascontiguousarray(samples[:, :, :3])


def load_png16(path: str | Path) -> np.ndarray:
    """Read a PNG file as uint16 RGB (see :func:`decode_png`); :class:`PNGError` names the file on failure."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise PNGError(f"{path}: PNG file not found") from None
    except OSError as exc:
        raise PNGError(f"{path}: cannot read: {exc.strerror}") from None
    return decode_png(data, str(path))


def to_uint16(image: np.ndarray) -> np.ndarray:
    """Float code values (``[0, 1]``, clipped) → uint16, rounded to nearest like a GL unorm conversion."""
    return np.round(np.clip(np.asarray(image, np.float64), 0.0, 1.0) * 65535.0).astype(np.uint16)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float code values (``[0, 1]``, clipped) → uint8, rounded to nearest."""
    return np.round(np.clip(np.asarray(image, np.float64), 0.0, 1.0) * 255.0).astype(np.uint8)
