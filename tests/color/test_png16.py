"""The 16-bit RGB PNG writer/reader (stdlib zlib + struct)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stage.core.color.png16 import PNGError, decode_png, encode_png16, load_png16, save_png16, to_uint8, to_uint16


def test_round_trip_is_exact_and_deterministic(tmp_path: Path) -> None:
    image = np.random.default_rng(0).integers(0, 65536, (7, 11, 4), dtype=np.uint16)
    save_png16(image, tmp_path / "a.png")
    assert np.array_equal(load_png16(tmp_path / "a.png"), image[:, :, :3])
    assert encode_png16(image) == (tmp_path / "a.png").read_bytes()


def test_other_readers_see_a_16_bit_rgb_png(tmp_path: Path) -> None:
    image = np.zeros((2, 3, 3), np.uint16)
    image[0, 0] = (65535, 32768, 257)
    save_png16(image, tmp_path / "b.png")
    with Image.open(tmp_path / "b.png") as img:
        assert img.size == (3, 2) and img.mode == "RGB"  # Pillow reads 16-bit RGB as 8-bit RGB
        assert img.getpixel((0, 0)) == (255, 128, 1)


def test_reads_pillow_8_bit_pngs_with_all_filters(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    image = np.cumsum(rng.integers(0, 9, (20, 30, 3)), axis=1).astype(np.uint8)  # smooth: adaptive filters
    Image.fromarray(image, "RGB").save(tmp_path / "c.png", optimize=True)
    assert np.array_equal(load_png16(tmp_path / "c.png"), image.astype(np.uint16) * 257)


def test_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(PNGError, match="not found"):
        load_png16(tmp_path / "missing.png")
    with pytest.raises(PNGError, match="not a PNG"):
        decode_png(b"GIF89a", "x.gif")
    with pytest.raises(PNGError, match="uint16"):
        encode_png16(np.zeros((2, 2, 3), np.uint8))


def test_quantisation_rounds_to_nearest() -> None:
    assert to_uint16(np.array([0.0, 0.5, 1.0, 2.0, -1.0])).tolist() == [0, 32768, 65535, 65535, 0]
    assert to_uint8(np.array([0.5 / 255, 1.49 / 255, 1.0])).tolist() == [0, 1, 255]
