"""The in-camera check (pure numpy): recompose what the camera films of the LED walls from the wall images and
``render.json`` alone, and compare it with the virtual scene rendered straight from the camera.

For each camera pixel a ray leaves the projection centre (``world_from_camera`` translation) through the pixel
centre (inverse ``projection``); the nearest flat section it meets gives a continuous wall-image position, sampled
bilinearly. Where the walls show the right picture, this equals ``camera.png`` up to resampling blur.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from stage.core.geometry.raycast import SectionSet, cast_rays
from stage.core.geometry.sections import Section


@dataclass(frozen=True)
class Comparison:
    psnr_db: float
    """Peak signal-to-noise ratio over the pixels that see a wall (8-bit peak 255)."""
    mean_abs_error: float
    """Mean absolute difference per channel, 0..255."""
    coverage: float
    """Fraction of camera pixels that see a wall."""
    recomposed: np.ndarray
    """The recomposed camera image (RGB uint8; black where no wall is seen)."""


def sections_from_json(doc: dict) -> list[tuple[str, list[Section]]]:
    walls = []
    for wall in doc["walls"]:
        sections = [
            Section(
                lower_left=np.asarray(s["lower_left"], dtype=float),
                lower_right=np.asarray(s["lower_right"], dtype=float),
                upper_left=np.asarray(s["upper_left"], dtype=float),
                pixel_rect=tuple(s["pixel_rect"]),
            )
            for s in wall["sections"]
        ]
        walls.append((wall["name"], sections))
    return walls


def camera_rays(world_from_camera: np.ndarray, projection: np.ndarray, size_px: tuple[int, int]
                ) -> tuple[np.ndarray, np.ndarray]:
    """Origin (3,) and unit directions (H·W, 3) through every pixel centre, row 0 at the top."""
    w, h = size_px
    xs = (np.arange(w) + 0.5) / w * 2.0 - 1.0
    ys = 1.0 - (np.arange(h) + 0.5) / h * 2.0
    ndc_x, ndc_y = np.meshgrid(xs, ys)
    inv = np.linalg.inv(projection)
    clip = np.stack([ndc_x.ravel(), ndc_y.ravel(), np.full(w * h, -1.0), np.ones(w * h)])
    cam = inv @ clip
    cam = cam[:3] / cam[3]
    dirs = (world_from_camera[:3, :3] @ cam).T
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    return world_from_camera[:3, 3].copy(), dirs


def bilinear(image: np.ndarray, u_px: np.ndarray, v_px: np.ndarray) -> np.ndarray:
    """Sample ``image`` (H×W×C) at continuous pixel coordinates (pixel centres at .5), clamped to the edge."""
    h, w = image.shape[:2]
    x = np.clip(u_px - 0.5, 0.0, w - 1.0)
    y = np.clip(v_px - 0.5, 0.0, h - 1.0)
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    img = image.astype(np.float64)
    top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
    bottom = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


def recompose(doc: dict, wall_images: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """``(image H×W×3 float 0..255, mask H×W of pixels that see a wall)`` from render.json and the wall images."""
    cam = doc["camera"]
    w, h = cam["resolution"]
    origin, dirs = camera_rays(np.asarray(cam["world_from_camera"]), np.asarray(cam["projection"]), (w, h))
    named = sections_from_json(doc)
    section_set = SectionSet.from_named(named)
    hits = cast_rays(origin, dirs, section_set)
    out = np.zeros((w * h, 3))
    for index, (name, _) in enumerate(named):
        sel = hits.hit & (hits.wall == index)
        if sel.any():
            out[sel] = bilinear(wall_images[name][:, :, :3], hits.u_px[sel], hits.v_px[sel])
    return out.reshape(h, w, 3), hits.hit.reshape(h, w)


def compare(recomposed: np.ndarray, mask: np.ndarray, camera: np.ndarray) -> Comparison:
    ref = camera[:, :, :3].astype(np.float64)
    diff = (recomposed - ref)[mask]
    mse = float(np.mean(diff**2)) if diff.size else math.inf
    psnr = 10.0 * math.log10(255.0**2 / mse) if mse > 0 else math.inf
    return Comparison(
        psnr_db=psnr,
        mean_abs_error=float(np.mean(np.abs(diff))) if diff.size else math.inf,
        coverage=float(mask.mean()),
        recomposed=np.clip(np.rint(recomposed), 0, 255).astype(np.uint8),
    )


def check_folder(folder: Path) -> Comparison:
    """Run the check on a ``stage render`` output folder."""
    doc = json.loads((folder / "render.json").read_text())
    walls = {w["name"]: np.asarray(Image.open(folder / w["image"]).convert("RGB")) for w in doc["walls"]}
    camera = np.asarray(Image.open(folder / doc["camera"]["image"]).convert("RGB"))
    image, mask = recompose(doc, walls)
    return compare(image, mask, camera)
