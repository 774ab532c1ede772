"""The ``stage demo`` contact sheet shows each wall display-referred, like the previews: a PQ/Rec.2020 wall's tile
is its signal through the wall's preview transform (``stage.core.color.wall_preview``), not the raw PQ code values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from stage.app.orchestrator.contact_sheet import contact_sheet
from stage.app.orchestrator.output_view import output_for_viewing
from stage.core.color.gamut import conversion_matrix
from stage.core.color.png16 import save_png16, to_uint16
from stage.core.color.transfer import pq_encode, srgb_encode
from stage.core.config.color import WallColor
from stage.core.config.loader import load_stage_config
from stage.core.config.wall_geometry import wall_resolution_px

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "tests" / "color" / "data" / "color-stage.yaml"
GREY = 0.18
"""Mid-grey scene value (scene-linear 1.0 = 100 nits on a PQ wall)."""


def _pq_rec2020_output(tmp_path: Path):
    config = load_stage_config(CONFIG)
    wall = config.walls[0]
    wall.color = WallColor(transfer="pq", gamut="rec2020")
    node = config.nodes[0]
    width, height = node.outputs[0].resolution_px
    rgb2020 = conversion_matrix("rec709", "rec2020") @ np.full(3, GREY)
    signal = np.zeros((height, width, 3))
    signal[...] = pq_encode(rgb2020 * 100.0)
    path = tmp_path / f"preview-1-{node.name}-{node.outputs[0].name}.png"
    save_png16(to_uint16(signal), path)
    return config, wall, path, signal


def test_pq_rec2020_wall_tile_is_display_referred(tmp_path: Path) -> None:
    config, wall, path, signal = _pq_rec2020_output(tmp_path)
    (x, y), (w, h) = wall.output.offset_px, wall_resolution_px(wall)
    viewed = output_for_viewing(path, config)
    tile = viewed[y:y + h, x:x + w].reshape(-1, 3).astype(float)
    expected = float(srgb_encode(GREY)) * 255.0  # ≈ 118: the same scene grey on an sRGB monitor
    raw = signal[0, 0, 0] * 255.0  # ≈ 104: the PQ code value
    assert abs(raw - expected) > 8  # the test can tell the two apart
    assert np.all(np.abs(tile - expected) <= 2.0), (tile.min(0), tile.max(0), expected)

    sheet_path = contact_sheet("t", [("moment", [("LED output", viewed)])], tmp_path / "sheet.png", thumb_h=64)
    with Image.open(sheet_path) as sheet:
        cell = np.asarray(sheet.convert("RGB"), dtype=float)
    # the tile's centre in the sheet (header 24 + margin 12 + heading 24, margin 12 on the left)
    centre = cell[24 + 12 + 24 + 32, 12 + 64]
    assert np.all(np.abs(centre - expected) <= 2.0), centre


def test_srgb_wall_tile_is_the_signal(tmp_path: Path) -> None:
    config, wall, path, signal = _pq_rec2020_output(tmp_path)
    wall.color = WallColor()  # sRGB / Rec.709: the signal already is what an sRGB monitor shows
    viewed = output_for_viewing(path, config)
    assert np.array_equal(viewed, np.round(signal * 255.0).astype(np.uint8))
