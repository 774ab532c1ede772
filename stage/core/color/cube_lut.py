"""3D LUTs in the Resolve/Adobe ``.cube`` format: a pure parser and numpy reference interpolation.

Accepted: ``TITLE "…"``, ``LUT_3D_SIZE N`` (2–129), ``DOMAIN_MIN r g b`` / ``DOMAIN_MAX r g b`` (default 0 / 1),
Resolve's ``LUT_3D_INPUT_RANGE lo hi``, ``#`` comment lines, blank lines, then N³ rows ``R G B`` with **red
changing fastest**, then green, then blue. Other upper-case keywords before the data are ignored (tools add their
own). 1D LUTs (``LUT_1D_SIZE``) are rejected. Every problem raises :class:`LUTError` whose message is one line,
``file:line: reason``.

``CubeLUT.table`` is float32 of shape ``(N, N, N, 3)`` indexed ``[b][g][r]`` — the file's row order reshaped, so
``table[b, g, r]`` is the output for input lattice point ``(r, g, b) / (N − 1)`` (after the domain mapping).
Inputs are mapped from the domain to [0, 1] and clipped, so values outside the domain take the edge of the cube.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from stage.core.files import InputFileError, read_limited

MIN_SIZE, MAX_SIZE = 2, 129
"""Lattice sizes accepted; 129 is OpenColorIO's largest 3D LUT (``Lut3DOpData::maxSupportedLength`` in
OpenColorIO ``src/OpenColorIO/ops/lut3d/Lut3DOpData.cpp``)."""
MAX_FILE_BYTES = 128 * 1024 * 1024
"""Largest ``.cube`` file read (129³ rows at 6 decimals are about 60 MB)."""
INTERPOLATIONS = ("trilinear", "tetrahedral")


class LUTError(ValueError):
    """A ``.cube`` file cannot be used; ``str()`` is ``file:line: reason`` (``file: reason`` without a line)."""

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        self.source, self.line, self.reason = source, line, reason
        super().__init__(f"{source}:{line}: {reason}" if line is not None else f"{source}: {reason}")


@dataclass(frozen=True, eq=False)
class CubeLUT:
    """A parsed 3D LUT (see the module docstring for the table order)."""

    size: int
    """Lattice points per axis, N."""
    table: np.ndarray = field(repr=False)
    """float32 ``(N, N, N, 3)``, indexed ``[b][g][r]``; read-only."""
    domain_min: tuple[float, float, float] = (0.0, 0.0, 0.0)
    domain_max: tuple[float, float, float] = (1.0, 1.0, 1.0)
    title: str = ""
    source: str = "<string>"


def _floats(parts: list[str], source: str, line: int, what: str) -> list[float]:
    out = []
    for p in parts:
        try:
            value = float(p)
        except ValueError:
            raise LUTError(source, line, f"non-numeric value {p!r} in {what}") from None
        if not math.isfinite(value):
            raise LUTError(source, line, f"value {p!r} in {what} is not a finite number")
        out.append(value)
    return out


def parse_cube(data: bytes | str, source: str = "<string>") -> CubeLUT:
    """Parse the text of a ``.cube`` file; ``source`` names it in error messages. Raises :class:`LUTError`."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LUTError(source, None, f"not UTF-8 text (byte {exc.start})") from None
    lines = data.removeprefix("\ufeff").splitlines()
    size: int | None = None
    keywords: dict[str, int] = {}
    domain = [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]
    title = ""
    rows: list[list[float]] = []
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        parts = text.split()
        word = parts[0]
        if word[0].isalpha() and word.upper() == word and word.replace("_", "").isalnum():
            if rows:
                raise LUTError(source, number, f"keyword {word} after the data rows")
            if word in keywords:
                raise LUTError(source, number, f"{word} given twice (also line {keywords[word]})")
            keywords[word] = number
            if word == "LUT_1D_SIZE" or word == "LUT_1D_INPUT_RANGE":
                raise LUTError(source, number, f"1D LUTs are not supported ({word}); export a 3D LUT (LUT_3D_SIZE)")
            if word == "TITLE":
                title = text[len(word):].strip().strip('"')
            elif word == "LUT_3D_SIZE":
                if len(parts) != 2:
                    raise LUTError(source, number, "LUT_3D_SIZE needs one integer")
                try:
                    size = int(parts[1])
                except ValueError:
                    raise LUTError(source, number, f"LUT_3D_SIZE {parts[1]!r} is not an integer") from None
                if not MIN_SIZE <= size <= MAX_SIZE:
                    raise LUTError(source, number, f"LUT_3D_SIZE {size} out of range {MIN_SIZE}–{MAX_SIZE}")
            elif word in ("DOMAIN_MIN", "DOMAIN_MAX"):
                if len(parts) != 4:
                    raise LUTError(source, number, f"{word} needs three numbers, got {len(parts) - 1}")
                domain[word == "DOMAIN_MAX"] = _floats(parts[1:], source, number, word)
            elif word == "LUT_3D_INPUT_RANGE":
                if len(parts) != 3:
                    raise LUTError(source, number, f"{word} needs two numbers, got {len(parts) - 1}")
                lo, hi = _floats(parts[1:], source, number, word)
                domain = [[lo] * 3, [hi] * 3]
            continue
        if size is None:
            raise LUTError(source, number, "data row before LUT_3D_SIZE")
        if len(parts) != 3:
            raise LUTError(source, number, f"data row needs 3 values (R G B), got {len(parts)}")
        if len(rows) == size**3:
            raise LUTError(source, number, f"more than LUT_3D_SIZE³ = {size**3} data rows")
        rows.append(_floats(parts, source, number, "data row"))
    last = len(lines) or None
    if size is None:
        raise LUTError(source, last, "missing LUT_3D_SIZE")
    if len(rows) != size**3:
        raise LUTError(source, last, f"expected LUT_3D_SIZE³ = {size**3} data rows, found {len(rows)}")
    if any(lo >= hi for lo, hi in zip(*domain, strict=True)):
        line = keywords.get("DOMAIN_MAX") or keywords.get("LUT_3D_INPUT_RANGE")
        raise LUTError(source, line, f"domain minimum {domain[0]} must be below maximum {domain[1]} on every channel")
    table = np.asarray(rows, dtype=np.float32).reshape(size, size, size, 3)
    table.flags.writeable = False
    return CubeLUT(size, table, tuple(domain[0]), tuple(domain[1]), title, source)  # type: ignore[arg-type]


def load_cube(path: str | Path) -> CubeLUT:
    """Read and parse a ``.cube`` file; a missing or unreadable file is a :class:`LUTError` too."""
    try:
        data = read_limited(path, MAX_FILE_BYTES)
    except InputFileError as exc:
        reason = "LUT file not found" if exc.reason == "file not found" else exc.reason
        raise LUTError(str(path), None, reason) from None
    return parse_cube(data, str(path))


def identity_table(size: int) -> np.ndarray:
    """float32 ``(N, N, N, 3)`` identity table in ``[b][g][r]`` order."""
    ramp = np.linspace(0.0, 1.0, size)
    b, g, r = np.meshgrid(ramp, ramp, ramp, indexing="ij")
    return np.stack([r, g, b], axis=-1).astype(np.float32)


def format_cube(table: np.ndarray, title: str = "", decimals: int = 6) -> str:
    """``.cube`` text of a ``[b][g][r]`` table (domain 0–1), rows with red fastest."""
    size = table.shape[0]
    head = ([f'TITLE "{title}"'] if title else []) + [f"LUT_3D_SIZE {size}"]
    rows = [" ".join(f"{v:.{decimals}f}" for v in row) for row in np.asarray(table, np.float64).reshape(-1, 3)]
    return "\n".join(head + rows) + "\n"


def _lattice(lut: CubeLUT, rgb: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer corner (r, g, b) and fraction of each input in the lattice, inputs clipped to the domain."""
    x = np.asarray(rgb, dtype=np.float64)
    lo, hi = np.asarray(lut.domain_min), np.asarray(lut.domain_max)
    pos = np.clip((x - lo) / (hi - lo), 0.0, 1.0) * (lut.size - 1)
    base = np.minimum(np.floor(pos).astype(np.int64), lut.size - 2)
    return x, base, pos - base


def _corner(lut: CubeLUT, base: np.ndarray, dr: int, dg: int, db: int) -> np.ndarray:
    return lut.table[base[..., 2] + db, base[..., 1] + dg, base[..., 0] + dr].astype(np.float64)


def apply_trilinear(lut: CubeLUT, rgb: ArrayLike) -> np.ndarray:
    """Trilinear interpolation of ``rgb`` (``(..., 3)``) through the LUT: the 8 corners of its lattice cell."""
    _, base, f = _lattice(lut, rgb)
    fr, fg, fb = (f[..., i : i + 1] for i in range(3))
    out = np.zeros(base.shape, np.float64)
    for dr in (0, 1):
        for dg in (0, 1):
            for db in (0, 1):
                w = (fr if dr else 1 - fr) * (fg if dg else 1 - fg) * (fb if db else 1 - fb)
                out += w * _corner(lut, base, dr, dg, db)
    return out


def apply_tetrahedral(lut: CubeLUT, rgb: ArrayLike) -> np.ndarray:
    """Tetrahedral interpolation: the cell is split into 6 tetrahedra along its grey diagonal and the input is
    interpolated from the 4 corners of the one containing it. On the neutral axis (r = g = b) only the two grey
    corners contribute, unlike trilinear, which mixes all 8; both reproduce an affine LUT exactly."""
    _, base, f = _lattice(lut, rgb)
    fr, fg, fb = (f[..., i : i + 1] for i in range(3))
    c000, c111 = _corner(lut, base, 0, 0, 0), _corner(lut, base, 1, 1, 1)
    cases = [  # (condition, weights and corners for the 2 middle vertices)
        ((fr > fg) & (fg > fb), fr - fg, (1, 0, 0), fg - fb, (1, 1, 0), 1 - fr, fb),
        ((fr > fg) & (fg <= fb) & (fr > fb), fr - fb, (1, 0, 0), fb - fg, (1, 0, 1), 1 - fr, fg),
        ((fr > fg) & (fr <= fb), fb - fr, (0, 0, 1), fr - fg, (1, 0, 1), 1 - fb, fg),
        ((fr <= fg) & (fb > fg), fb - fg, (0, 0, 1), fg - fr, (0, 1, 1), 1 - fb, fr),
        ((fr <= fg) & (fb <= fg) & (fb > fr), fg - fb, (0, 1, 0), fb - fr, (0, 1, 1), 1 - fg, fr),
        ((fr <= fg) & (fb <= fg) & (fb <= fr), fg - fr, (0, 1, 0), fr - fb, (1, 1, 0), 1 - fg, fb),
    ]
    out = np.zeros(base.shape, np.float64)
    for mask, w1, k1, w2, k2, w0, w3 in cases:
        value = w0 * c000 + w1 * _corner(lut, base, *k1) + w2 * _corner(lut, base, *k2) + w3 * c111
        out = np.where(mask, value, out)
    return out


def apply_lut(lut: CubeLUT, rgb: ArrayLike, interpolation: str = "tetrahedral") -> np.ndarray:
    """Apply ``lut`` with ``interpolation`` (one of :data:`INTERPOLATIONS`)."""
    if interpolation == "trilinear":
        return apply_trilinear(lut, rgb)
    if interpolation == "tetrahedral":
        return apply_tetrahedral(lut, rgb)
    raise ValueError(f"unknown interpolation {interpolation!r}; expected one of {', '.join(INTERPOLATIONS)}")
