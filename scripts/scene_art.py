"""Procedural art for the shipped scenes (numpy + Pillow, deterministic): marker and checker textures, the
landscape panorama and the gallery's glTF models. Used by ``scripts/make_scenes.py``."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from PIL import Image

from stage.core.scene.gltf_write import GltfBuilder

# 3 × 5 bitmap digits, rows top to bottom.
DIGITS = ["111101101101111", "010110010010111", "111001111100111", "111001111001111", "101101111001001",
          "111100111001111", "111100111101111", "111001010010010", "111101111101111", "111101111001111"]


def png_bytes(image: np.ndarray) -> bytes:
    """PNG bytes of an H × W × 3/4 uint8 image (fixed compression, no metadata: deterministic)."""
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def save_png(image: np.ndarray, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = png_bytes(image)
    path.write_bytes(data)
    return len(data)


def marker(number: int, px: int = 64) -> np.ndarray:
    """A white square with a black border and ``number`` (1-99) in black 3×5 block digits."""
    img = np.full((px, px, 3), 240, np.uint8)
    img[:4], img[-4:], img[:, :4], img[:, -4:] = 0, 0, 0, 0
    text = str(number)
    cell = 7 if len(text) == 2 else 9
    width = len(text) * 3 * cell + (len(text) - 1) * cell
    x0, y0 = (px - width) // 2, (px - 5 * cell) // 2
    for k, ch in enumerate(text):
        bits = np.array([int(b) for b in DIGITS[int(ch)]], bool).reshape(5, 3)
        glyph = np.kron(bits, np.ones((cell, cell), bool))
        x = x0 + k * 4 * cell
        img[y0: y0 + 5 * cell, x: x + 3 * cell][glyph] = 0
    return img


def checker(cells_x: int, cells_y: int, cell_px: int = 32) -> np.ndarray:
    """A checkerboard, the top-left cell light."""
    yy, xx = np.mgrid[0: cells_y * cell_px, 0: cells_x * cell_px] // cell_px
    light = (xx + yy) % 2 == 0
    img = np.where(light[..., None], np.uint8(235), np.uint8(20)).repeat(3, -1)
    return img.astype(np.uint8)


def _ridge(az: np.ndarray, seed: int, base_deg: float, amp_deg: float) -> np.ndarray:
    """A periodic mountain ridge elevation (degrees) as a function of azimuth (radians)."""
    rng = np.random.default_rng(seed)
    h = np.zeros_like(az)
    for k in range(1, 24):
        h += rng.normal() / k**1.1 * np.sin(k * az + rng.uniform(0, 2 * math.pi))
    h = (h - h.min()) / np.ptp(h)
    return base_deg + amp_deg * h**1.5


def panorama(width: int = 2048, height: int = 1024) -> np.ndarray:
    """Equirectangular sky + two mountain ranges + fields (sRGB uint8, row 0 = zenith, centre column = +Y)."""
    el = (0.5 - (np.arange(height) + 0.5) / height)[:, None] * 180.0
    az = (np.pi / 2 - ((np.arange(width) + 0.5) / width - 0.5) * 2 * np.pi)[None, :]
    el = np.broadcast_to(el, (height, width))
    t = np.clip(el / 90.0, 0.0, 1.0)[..., None]
    zenith, horizon = np.array([0.10, 0.28, 0.62]), np.array([0.78, 0.85, 0.92])
    img = horizon + (zenith - horizon) * (1 - (1 - t) ** 3)
    glow = np.exp(-((az - math.radians(200)) ** 2 + (np.radians(el) - 0.35) ** 2) / 0.08)[..., None]
    img = img + 0.25 * glow * np.array([1.0, 0.8, 0.5])
    far = _ridge(az[0], 3, 1.0, 9.0)[None, :]
    near = _ridge(az[0] + 1.3, 7, 0.5, 5.0)[None, :]
    is_far = (el >= 0) & (el < far)
    shade_far = np.array([0.42, 0.48, 0.58]) * (0.8 + 0.2 * (el / np.maximum(far, 1e-6)))[..., None]
    snow = (el > far - 1.5) & (far > 7.0)
    img = np.where(is_far[..., None], shade_far, img)
    img = np.where((is_far & snow)[..., None], np.array([0.9, 0.92, 0.95]), img)
    is_near = (el >= 0) & (el < near)
    img = np.where(is_near[..., None], np.array([0.22, 0.33, 0.20]) * (0.85 + 0.15 * np.cos(3 * az))[..., None],
                   img)
    below = np.clip(-el / 90.0, 0, 1)[..., None]
    fields = np.array([0.30, 0.40, 0.18]) * (1 - below) + np.array([0.20, 0.22, 0.12]) * below
    img = np.where((el < 0)[..., None], fields, img)
    return (np.clip(img, 0, 1) ** (1 / 2.2) * 255 + 0.5).astype(np.uint8)


def cube(size: tuple[float, float, float]) -> tuple[np.ndarray, ...]:
    """Box positions, normals, uvs, vertex colours (bottom dark → top light) and indices, glTF axes."""
    pos, nrm, uv, tri = [], [], [], []
    for axis in range(3):
        u, v = (axis + 1) % 3, (axis + 2) % 3
        for sign in (1.0, -1.0):
            base = len(pos)
            for cu, cv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                p = np.zeros(3)
                p[axis], p[u], p[v] = 0.5 * sign, 0.5 * cu * sign, 0.5 * cv
                n = np.zeros(3)
                n[axis] = sign
                pos.append(p * size)
                nrm.append(n)
                uv.append(((cu + 1) / 2, (1 - cv) / 2))
            tri += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
    pos_a = np.array(pos)
    k = (pos_a[:, 1] - pos_a[:, 1].min()) / np.ptp(pos_a[:, 1])
    colors = np.column_stack([0.55 + 0.45 * k, 0.55 + 0.45 * k, 0.6 + 0.4 * k, np.ones_like(k)])
    return pos_a, np.array(nrm), np.array(uv), colors, np.array(tri)


def octahedron() -> tuple[np.ndarray, ...]:
    """Flat-shaded octahedron (radius 1) with a colour per face."""
    axes = [np.array(v, float) for v in ((1, 0, 0), (0, 1, 0), (-1, 0, 0), (0, 0, -1), (0, 0, 1), (0, -1, 0))]
    pos, nrm, col, tri = [], [], [], []
    palette = [(0.9, 0.2, 0.2), (0.95, 0.7, 0.1), (0.2, 0.8, 0.3), (0.2, 0.5, 0.95)]
    ring = [axes[0], axes[4], axes[2], axes[3]]  # around Y (glTF up): +X, +Z, -X, -Z
    for i in range(4):
        a, b = ring[i], ring[(i + 1) % 4]
        for order in ((a, axes[1], b), (a, b, axes[5])):
            n = np.cross(order[1] - order[0], order[2] - order[0])
            if np.dot(n, sum(order)) < 0:
                order = (order[0], order[2], order[1])
                n = -n
            base = len(pos)
            pos += list(order)
            nrm += [n / np.linalg.norm(n)] * 3
            col += [(*palette[i], 1.0)] * 3
            tri.append((base, base + 1, base + 2))
    return np.array(pos), np.array(nrm), np.array(col), np.array(tri)


def stripe_texture() -> np.ndarray:
    """64 × 64 diagonal stripes, warm/cream."""
    yy, xx = np.mgrid[0:64, 0:64]
    band = ((xx + yy) // 8) % 2 == 0
    return np.where(band[..., None], np.array([200, 120, 60], np.uint8), np.array([240, 225, 190], np.uint8))


def sculpture_glb() -> bytes:
    """A low-poly sculpture: textured, vertex-coloured plinth and twisted column (node hierarchy) and a gem."""
    g = GltfBuilder()
    tex = g.material(png=png_bytes(stripe_texture().astype(np.uint8)))
    gem = g.material((1.0, 1.0, 1.0, 1.0))
    p, n, uv, c, t = cube((1.0, 1.0, 1.0))
    block = g.mesh(p, t, n, uv, c, tex)
    p, n, c, t = octahedron()
    gem_mesh = g.mesh(p, t, n, None, c, gem)
    root = g.node(name="sculpture")
    g.node(root, mesh=block, translation=[0.0, 0.15, 0.0], scale=[1.2, 0.3, 1.2], name="plinth")
    column = g.node(root, translation=[0.0, 0.3, 0.0], name="column")
    s = math.sin(math.radians(15))
    c15 = math.cos(math.radians(15))
    for i in range(3):
        g.node(column, mesh=block, translation=[0.0, 0.3 + 0.6 * i, 0.0], rotation=[0.0, s * (i + 1) / 2, 0.0,
               math.sqrt(1 - (s * (i + 1) / 2) ** 2)], scale=[0.5 - 0.1 * i, 0.6, 0.5 - 0.1 * i], name=f"drum{i}")
    g.node(column, mesh=gem_mesh, translation=[0.0, 2.15, 0.0], rotation=[0.0, 0.0, s, c15], scale=[0.3] * 3,
           name="gem")
    return g.glb()


def pedestal_gltf(path: Path) -> None:
    """An octagonal pedestal (1 m tall, radius 0.9 m), vertex colours only, as .gltf + external .bin."""
    k = 8
    ang = np.arange(k) * 2 * np.pi / k + np.pi / k
    pos, nrm, col, tri = [], [], [], []
    for i in range(k):
        a, b = ang[i], ang[(i + 1) % k]
        mid = (a + b) / 2
        n = [math.cos(mid), 0.0, -math.sin(mid)]
        base = len(pos)
        for ang_, y in ((a, 0.0), (b, 0.0), (b, 1.0), (a, 1.0)):
            pos.append([0.9 * math.cos(ang_), y, -0.9 * math.sin(ang_)])
            nrm.append(n)
            col.append([0.35 + 0.3 * y, 0.33 + 0.3 * y, 0.32 + 0.3 * y, 1.0])
        tri += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
    top = len(pos)
    pos.append([0.0, 1.0, 0.0])
    nrm.append([0.0, 1.0, 0.0])
    col.append([0.75, 0.72, 0.68, 1.0])
    for i in range(k):
        pos.append([0.9 * math.cos(ang[i]), 1.0, -0.9 * math.sin(ang[i])])
        nrm.append([0.0, 1.0, 0.0])
        col.append([0.7, 0.68, 0.64, 1.0])
    tri += [(top, top + 1 + i, top + 1 + (i + 1) % k) for i in range(k)]
    g = GltfBuilder()
    mesh = g.mesh(np.array(pos), np.array(tri), np.array(nrm), None, np.array(col), g.material())
    g.node(mesh=mesh, name="pedestal")
    path.parent.mkdir(parents=True, exist_ok=True)
    g.write_gltf(path)
