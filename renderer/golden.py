"""Golden-image comparison with tolerance, and the evidence written when it fails (pure numpy + Pillow, no GL).

Two images match when at most ``max_fraction_over`` of their pixels have a channel that differs by more than
``channel_threshold`` (8-bit levels). The threshold absorbs rounding and rasterizer differences between machines
(an edge pixel that lands on the other side of a triangle, a different Mesa build); the cap absorbs the odd pixel
that differs a lot, while a real change (a shifted wall, a wrong colour) touches far more pixels than it allows.
Images are ``H × W``, ``H × W × 3`` or ``H × W × 4`` uint8, row 0 the top. When only one side has an alpha
channel (renders are RGBA, stored PNGs are RGB), only RGB is compared.

``write_evidence`` writes ``<name>.actual.png``, ``<name>.expected.png`` and ``<name>.diff.png`` (absolute
difference amplified, pixels over the threshold in red) so a failure can be looked at, not just read.

A golden only proves what its pixels can show: a wall image of smooth sky cannot tell a 1-pixel shift or a mirror
from a match. :func:`registration_blind_spots` names the misregistrations (:func:`misregistered`: 1-pixel shifts
each way, mirrors) that a golden image would let pass at a tolerance, so a golden set can be checked for content
that makes every wall's placement visible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

DEFAULT_CHANNEL_THRESHOLD = 8
"""Per-channel absolute difference (8-bit levels) above which a pixel counts as different."""
DEFAULT_MAX_FRACTION_OVER = 0.002
"""Largest fraction of pixels allowed over the threshold (0.2 %)."""
DIFF_GAIN = 8
"""Amplification of the absolute difference in ``*.diff.png``."""
OVER_COLOR = (255, 0, 0)
"""Colour of pixels over the threshold in ``*.diff.png``."""


class GoldenError(ValueError):
    """An image cannot be compared or read (wrong type or shape, unreadable file)."""


@dataclass(frozen=True)
class GoldenResult:
    """The outcome of one comparison. Statistics are over the common channels; they are zero (and
    ``psnr_db`` is 0) when the sizes differ."""

    passed: bool
    message: str
    """One line: why it failed, or a summary of the numbers when it passed."""
    max_diff: int
    mean_diff: float
    """Mean absolute difference per channel value, 8-bit levels."""
    fraction_over: float
    """Fraction of pixels with a channel over ``channel_threshold``."""
    pixels_over: int
    psnr_db: float
    """Peak signal-to-noise ratio; ``inf`` for identical images."""
    channel_threshold: int
    max_fraction_over: float
    actual_size: tuple[int, int]
    """``(width, height)``."""
    expected_size: tuple[int, int]

    def numbers(self) -> str:
        """``max 12 mean 0.41 over 0.0150% (3 px) psnr 48.2 dB`` — for one-line reports."""
        psnr = "inf" if math.isinf(self.psnr_db) else f"{self.psnr_db:.1f}"
        return (f"max {self.max_diff} mean {self.mean_diff:.2f} over {self.fraction_over * 100:.4f}% "
                f"({self.pixels_over} px) psnr {psnr} dB")


def _check_image(image: np.ndarray, what: str) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise GoldenError(f"{what} image must be uint8, got {image.dtype}")
    if image.ndim == 2:
        return image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise GoldenError(f"{what} image must be H×W, H×W×3 or H×W×4, got shape {image.shape}")
    return image


def _common_channels(actual: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, e = _check_image(actual, "actual"), _check_image(expected, "expected")
    if a.shape[2] != e.shape[2]:
        if {a.shape[2], e.shape[2]} != {3, 4}:
            raise GoldenError(f"channel counts differ: actual {a.shape[2]}, expected {e.shape[2]}")
        a, e = a[:, :, :3], e[:, :, :3]
    return a, e


def _size(image: np.ndarray) -> tuple[int, int]:
    return int(image.shape[1]), int(image.shape[0])


def compare_images(
    actual: np.ndarray,
    expected: np.ndarray,
    *,
    channel_threshold: int = DEFAULT_CHANNEL_THRESHOLD,
    max_fraction_over: float = DEFAULT_MAX_FRACTION_OVER,
) -> GoldenResult:
    """Compare ``actual`` with ``expected``: passes when ``fraction_over <= max_fraction_over``.

    A pixel is *over* when any channel differs by more than ``channel_threshold``. A size mismatch is a failure
    (not an exception); a wrong dtype or shape raises :class:`GoldenError`.
    """
    if not 0 <= channel_threshold <= 255:
        raise GoldenError(f"channel_threshold must be 0..255, got {channel_threshold}")
    if not 0.0 <= max_fraction_over <= 1.0:
        raise GoldenError(f"max_fraction_over must be 0..1, got {max_fraction_over}")
    a, e = _common_channels(actual, expected)
    sizes = {"actual_size": _size(a), "expected_size": _size(e)}
    limits = {"channel_threshold": channel_threshold, "max_fraction_over": max_fraction_over}
    if a.shape != e.shape:
        (aw, ah), (ew, eh) = sizes["actual_size"], sizes["expected_size"]
        return GoldenResult(False, f"size mismatch: actual {aw}×{ah}, expected {ew}×{eh}", 0, 0.0, 1.0,
                            0, 0.0, **limits, **sizes)
    diff = np.abs(a.astype(np.int16) - e.astype(np.int16))
    over = diff.max(axis=2) > channel_threshold
    pixels_over = int(over.sum())
    fraction = pixels_over / over.size if over.size else 0.0
    mse = float(np.mean(diff.astype(np.float64) ** 2)) if diff.size else 0.0
    psnr = math.inf if mse == 0.0 else 10.0 * math.log10(255.0**2 / mse)
    result = GoldenResult(
        passed=fraction <= max_fraction_over,
        message="",
        max_diff=int(diff.max()) if diff.size else 0,
        mean_diff=float(diff.mean()) if diff.size else 0.0,
        fraction_over=fraction,
        pixels_over=pixels_over,
        psnr_db=psnr,
        **limits,
        **sizes,
    )
    if result.passed:
        message = f"match: {result.numbers()}"
    else:
        message = (f"{fraction * 100:.4f}% of pixels differ by more than {channel_threshold} "
                   f"(allowed {max_fraction_over * 100:.4f}%): {result.numbers()}")
    return GoldenResult(**{**result.__dict__, "message": message})


def misregistered(image: np.ndarray) -> dict[str, np.ndarray]:
    """The image as a wall placed wrongly would show it, by name: shifted one pixel each way (the edge row or column
    repeated) and mirrored left-right and top-bottom."""
    image = _check_image(image, "golden")
    padded = np.pad(image, ((1, 1), (1, 1), (0, 0)), mode="edge")
    h, w = image.shape[:2]
    return {
        "shifted 1 px right": padded[1:h + 1, 0:w],
        "shifted 1 px left": padded[1:h + 1, 2:w + 2],
        "shifted 1 px down": padded[0:h, 1:w + 1],
        "shifted 1 px up": padded[2:h + 2, 1:w + 1],
        "mirrored left-right": image[:, ::-1],
        "mirrored top-bottom": image[::-1, :],
    }


def registration_blind_spots(image: np.ndarray, **tolerance: float) -> list[str]:
    """The :func:`misregistered` versions of ``image`` that :func:`compare_images` (with ``tolerance``) would
    accept as a match: empty when the image can show every 1-pixel shift and mirror."""
    return [name for name, moved in misregistered(image).items()
            if compare_images(moved, image, **tolerance).passed]


def diff_image(actual: np.ndarray, expected: np.ndarray, channel_threshold: int = DEFAULT_CHANNEL_THRESHOLD,
               gain: int = DIFF_GAIN) -> np.ndarray:
    """RGB uint8 picture of the difference: ``|actual − expected| × gain``, pixels over the threshold in
    :data:`OVER_COLOR`. Sizes may differ: the canvas covers both, and where only one image has pixels is red."""
    a, e = _common_channels(actual, expected)
    a, e = _rgb(a), _rgb(e)
    h, w = max(a.shape[0], e.shape[0]), max(a.shape[1], e.shape[1])
    out = np.empty((h, w, 3), np.uint8)
    out[:] = OVER_COLOR
    ch, cw = min(a.shape[0], e.shape[0]), min(a.shape[1], e.shape[1])
    diff = np.abs(a[:ch, :cw].astype(np.int32) - e[:ch, :cw].astype(np.int32))
    region = np.clip(diff * gain, 0, 255).astype(np.uint8)
    region[diff.max(axis=2) > channel_threshold] = OVER_COLOR
    out[:ch, :cw] = region
    return out


def _rgb(image: np.ndarray) -> np.ndarray:
    if image.shape[2] == 1:
        return np.repeat(image, 3, axis=2)
    return image[:, :, :3]


def save_rgb_png(image: np.ndarray, path: Path) -> None:
    """Write ``image`` (H×W, H×W×3 or H×W×4 uint8) as an RGB PNG, creating folders; alpha is dropped. The file is
    replaced atomically, so a reader never sees half a PNG."""
    rgb = np.ascontiguousarray(_rgb(_check_image(image, "saved")))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    Image.fromarray(rgb, "RGB").save(tmp, "PNG")
    tmp.replace(path)


def load_png(path: Path) -> np.ndarray:
    """Read a PNG as RGB uint8 (H×W×3). Raises :class:`GoldenError` naming the file when it is missing or
    unreadable."""
    try:
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()
    except FileNotFoundError:
        raise GoldenError(f"{path}: golden image not found") from None
    except (OSError, ValueError) as exc:
        raise GoldenError(f"{path}: cannot read image: {exc}") from None


def write_evidence(directory: Path, name: str, actual: np.ndarray, expected: np.ndarray,
                   result: GoldenResult) -> list[Path]:
    """Write ``<name>.actual.png``, ``<name>.expected.png`` and ``<name>.diff.png`` under ``directory``
    (``name`` may contain ``/``). Returns the paths written."""
    directory = Path(directory)
    paths = [directory / f"{name}.{kind}.png" for kind in ("actual", "expected", "diff")]
    save_rgb_png(actual, paths[0])
    save_rgb_png(expected, paths[1])
    save_rgb_png(diff_image(actual, expected, result.channel_threshold), paths[2])
    return paths


def compare_with_golden(image: np.ndarray, golden_dir: Path, rel: str, evidence_dir: Path,
                        **tolerance: float) -> str | None:
    """Compare one image with ``golden_dir / rel``: ``None`` when it matches, else one line (missing golden, or how
    it differs, with evidence written under ``evidence_dir``). ``tolerance``: :func:`compare_images` keywords."""
    path = Path(golden_dir) / rel
    if not path.is_file():
        return f"{rel}: golden {path} missing (run pytest --update-golden)"
    expected = load_png(path)
    result = compare_images(image, expected, **tolerance)
    if result.passed:
        return None
    write_evidence(evidence_dir, rel.removesuffix(".png"), image, expected, result)
    return f"{rel}: {result.message}"


def compare_folder(images: dict[str, np.ndarray], golden_dir: Path, evidence_dir: Path,
                   **tolerance: float) -> list[str]:
    """Compare ``{relative path: image}`` with the PNGs under ``golden_dir``, each image on its own; one line per
    image that is missing or differs (empty when everything matches). Evidence of each difference goes under
    ``evidence_dir``, which is cleared first. ``tolerance``: :func:`compare_images` keywords."""
    import shutil

    shutil.rmtree(evidence_dir, ignore_errors=True)
    problems = [compare_with_golden(image, golden_dir, rel, evidence_dir, **tolerance) for rel, image in images.items()]
    return [p for p in problems if p is not None]


def frame_images(result) -> dict[str, np.ndarray]:
    """The images of a :class:`renderer.offline.FrameResult` by their relative path in a golden set:
    ``walls/<wall>.png`` for each wall, ``camera.png`` and ``preview.png``."""
    images = {f"walls/{name}.png": image for name, image in result.walls.items()}
    images["camera.png"] = result.camera
    images["preview.png"] = result.preview
    return images
