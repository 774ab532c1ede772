"""The demo's pictures and numbers: a labelled contact sheet (Pillow) and percentiles, written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

THUMB_HEIGHT_PX = 200
MARGIN_PX = 12
CAPTION_PX = 18
HEADER_PX = 24
BACKGROUND = (24, 24, 28)
TEXT = (230, 230, 230)
DIM = (160, 160, 170)

Row = tuple[str, list[tuple[str, Path | np.ndarray]]]
"""A row's heading and its ``(caption, image)`` cells: an image file, or uint8 RGB pixels (``H × W × 3``)."""


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without scalable default font
        return ImageFont.load_default()


def contact_sheet(title: str, rows: list[Row], out: Path, thumb_h: int = THUMB_HEIGHT_PX) -> Path:
    """One PNG: ``title`` on top, then per row its heading and thumbnails (all ``thumb_h`` high) with captions."""
    thumbs: list[tuple[str, list[tuple[str, Image.Image]]]] = []
    for heading, cells in rows:
        row = []
        for caption, source in cells:
            if isinstance(source, np.ndarray):
                rgb = Image.fromarray(np.ascontiguousarray(source[:, :, :3], dtype=np.uint8), "RGB")
            else:
                with Image.open(source) as image:
                    rgb = image.convert("RGB")
            width = max(1, round(rgb.width * thumb_h / rgb.height))
            row.append((caption, rgb.resize((width, thumb_h), Image.Resampling.LANCZOS)))
        thumbs.append((heading, row))
    row_w = [sum(t.width for _, t in row) + MARGIN_PX * (len(row) + 1) for _, row in thumbs]
    width = max([*row_w, 480])
    height = HEADER_PX + MARGIN_PX + len(thumbs) * (HEADER_PX + thumb_h + CAPTION_PX + MARGIN_PX)
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    big, small = _font(16), _font(12)
    draw.text((MARGIN_PX, 6), title, fill=TEXT, font=big)
    y = HEADER_PX + MARGIN_PX
    for heading, row in thumbs:
        draw.text((MARGIN_PX, y + 4), heading, fill=TEXT, font=big)
        y += HEADER_PX
        x = MARGIN_PX
        for caption, thumb in row:
            sheet.paste(thumb, (x, y))
            draw.text((x, y + thumb_h + 3), caption, fill=DIM, font=small)
            x += thumb.width + MARGIN_PX
        y += thumb_h + CAPTION_PX + MARGIN_PX
    save_atomic(sheet, out)
    return out


def save_atomic(image: Image.Image, path: Path) -> None:
    """Write a PNG through a hidden temporary file and a rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    image.save(tmp, "PNG")
    os.replace(tmp, path)


def save_array(array: np.ndarray, path: Path) -> None:
    save_atomic(Image.fromarray(np.ascontiguousarray(array[:, :, :3]), "RGB"), path)


def percentiles(values: list[float]) -> dict[str, float | None]:
    """``{"p50": …, "p99": …}`` rounded to 0.01, ``None`` for no values."""
    if not values:
        return {"p50": None, "p99": None}
    p50, p99 = np.percentile(np.asarray(values, dtype=float), [50, 99])
    return {"p50": round(float(p50), 2), "p99": round(float(p99), 2)}
