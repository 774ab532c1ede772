"""renderer.golden: tolerance of the comparison, size mismatches and the evidence files (no GL)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from renderer.golden import (
    OVER_COLOR,
    GoldenError,
    compare_images,
    diff_image,
    load_png,
    save_rgb_png,
    write_evidence,
)


def gradient(w: int = 100, h: int = 100, channels: int = 3) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    planes = [(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), ((x + y) % 256), np.full_like(x, 255)]
    return np.stack(planes[:channels], axis=2).astype(np.uint8)


def checkerboard(w: int = 64, h: int = 64, cell: int = 4) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    board = ((x // cell + y // cell) % 2 * 255).astype(np.uint8)
    return np.repeat(board[:, :, None], 3, axis=2)


def test_identical_images_pass_with_perfect_numbers() -> None:
    image = gradient()
    result = compare_images(image, image.copy())
    assert result.passed
    assert (result.max_diff, result.mean_diff, result.fraction_over, result.pixels_over) == (0, 0.0, 0.0, 0)
    assert math.isinf(result.psnr_db)
    assert result.message.startswith("match")


def test_one_pixel_off_by_200_is_within_a_cap_of_1e_4_only() -> None:
    expected = gradient()
    actual = expected.copy()
    actual[40, 60, 1] = (int(actual[40, 60, 1]) + 200) % 256
    default = compare_images(actual, expected)
    assert default.passed and default.pixels_over == 1 and default.fraction_over == pytest.approx(1e-4)
    assert compare_images(actual, expected, max_fraction_over=1e-4).passed
    below = compare_images(actual, expected, max_fraction_over=0.9e-4)
    assert not below.passed
    assert "0.0100% of pixels differ by more than 8" in below.message
    assert below.max_diff >= 56  # (v + 200) mod 256 differs by 200 or 56
    assert below.psnr_db < 60


def test_noise_of_three_levels_everywhere_passes() -> None:
    expected = np.full((100, 100, 3), 128, np.uint8)
    noise = np.random.default_rng(7).integers(-3, 4, size=expected.shape)
    actual = (expected.astype(int) + noise).astype(np.uint8)
    result = compare_images(actual, expected)
    assert result.passed
    assert result.max_diff == 3 and result.pixels_over == 0
    assert 1.0 < result.mean_diff < 2.0
    assert 40 < result.psnr_db < 50


def test_threshold_is_exclusive() -> None:
    expected = np.zeros((10, 10, 3), np.uint8)
    assert compare_images(expected + 8, expected, max_fraction_over=0.0).passed
    assert not compare_images(expected + 9, expected, max_fraction_over=0.0).passed


def test_checkerboard_shifted_by_one_pixel_fails() -> None:
    board = checkerboard()
    shifted = np.roll(board, 1, axis=1)
    result = compare_images(shifted, board)
    assert not result.passed
    assert result.fraction_over == pytest.approx(0.25)
    assert result.max_diff == 255


def test_size_mismatch_fails_with_a_message() -> None:
    result = compare_images(gradient(100, 50), gradient(100, 60))
    assert not result.passed
    assert result.message == "size mismatch: actual 100×50, expected 100×60"
    assert result.actual_size == (100, 50) and result.expected_size == (100, 60)


def test_rgba_against_rgb_compares_colour_only() -> None:
    rgba = gradient(channels=4)
    rgba[..., 3] = 7
    assert compare_images(rgba, gradient(channels=3), max_fraction_over=0.0).passed


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 3), np.float32), np.zeros((4, 4, 2), np.uint8), np.zeros(4, np.uint8)])
def test_wrong_image_types_raise_golden_error(bad: np.ndarray) -> None:
    with pytest.raises(GoldenError):
        compare_images(bad, np.zeros((4, 4, 3), np.uint8))


def test_bad_limits_raise_golden_error() -> None:
    image = gradient(4, 4)
    with pytest.raises(GoldenError, match="channel_threshold"):
        compare_images(image, image, channel_threshold=300)
    with pytest.raises(GoldenError, match="max_fraction_over"):
        compare_images(image, image, max_fraction_over=1.5)


def test_diff_image_amplifies_and_marks_pixels_over_threshold_red() -> None:
    expected = np.full((4, 4, 3), 100, np.uint8)
    actual = expected.copy()
    actual[0, 0] = (102, 100, 100)  # under the threshold: amplified ×8
    actual[3, 3] = (100, 150, 100)  # over: red
    diff = diff_image(actual, expected)
    assert tuple(diff[0, 0]) == (16, 0, 0)
    assert tuple(diff[3, 3]) == OVER_COLOR
    assert tuple(diff[1, 1]) == (0, 0, 0)


def test_diff_image_of_different_sizes_marks_the_uncovered_part() -> None:
    diff = diff_image(np.zeros((4, 6, 3), np.uint8), np.zeros((5, 4, 3), np.uint8))
    assert diff.shape == (5, 6, 3)
    assert tuple(diff[0, 0]) == (0, 0, 0)
    assert tuple(diff[0, 5]) == OVER_COLOR and tuple(diff[4, 0]) == OVER_COLOR


def test_write_evidence_writes_actual_expected_and_diff(tmp_path: Path) -> None:
    expected = checkerboard()
    actual = np.roll(expected, 1, axis=1)
    result = compare_images(actual, expected)
    paths = write_evidence(tmp_path, "walls/main", actual, expected, result)
    assert [p.name for p in paths] == ["main.actual.png", "main.expected.png", "main.diff.png"]
    assert all(p.parent == tmp_path / "walls" and p.is_file() for p in paths)
    assert np.array_equal(load_png(paths[0]), actual)
    assert np.array_equal(load_png(paths[1]), expected)
    diff = load_png(paths[2])
    red = np.all(diff == OVER_COLOR, axis=2)
    assert red.mean() == pytest.approx(result.fraction_over)


def test_png_round_trip_and_missing_file(tmp_path: Path) -> None:
    image = gradient(channels=4)
    save_rgb_png(image, tmp_path / "a" / "b.png")
    assert np.array_equal(load_png(tmp_path / "a" / "b.png"), image[:, :, :3])
    with pytest.raises(GoldenError, match="nope.png: golden image not found"):
        load_png(tmp_path / "nope.png")
    (tmp_path / "junk.png").write_bytes(b"not a png")
    with pytest.raises(GoldenError, match="cannot read image"):
        load_png(tmp_path / "junk.png")


def test_compare_folder_reports_missing_and_differing_images_with_evidence(tmp_path) -> None:
    from renderer.golden import compare_folder, save_rgb_png

    same = np.full((8, 8, 3), 100, np.uint8)
    other = same.copy()
    other[2:6, 2:6] = 250
    save_rgb_png(same, tmp_path / "golden" / "walls" / "a.png")
    save_rgb_png(same, tmp_path / "golden" / "camera.png")
    problems = compare_folder({"walls/a.png": same, "camera.png": other, "preview.png": same},
                              tmp_path / "golden", tmp_path / "evidence")
    assert len(problems) == 2
    assert problems[0].startswith("camera.png:") and problems[1].startswith("preview.png: golden")
    assert sorted(p.name for p in (tmp_path / "evidence").iterdir()) == [
        "camera.actual.png", "camera.diff.png", "camera.expected.png"]
