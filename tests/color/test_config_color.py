"""``walls[].color`` in stage configs: the model, and the LUT check at load time (one line per bad LUT)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from stage.core.config.color import WallColor
from stage.core.config.errors import ConfigError
from stage.core.config.loader import load_stage_config

REPO = Path(__file__).resolve().parents[2]


def test_defaults_are_the_historic_output() -> None:
    color = WallColor()
    assert (color.transfer, color.gamut, color.lut, color.lut_interpolation) == ("srgb", "rec709", None,
                                                                                 "tetrahedral")
    assert color.peak_nits == 1000.0


@pytest.mark.parametrize("bad", [{"transfer": "hlg"}, {"gamut": "acescg"}, {"peak_nits": 0}, {"peak_nits": 20000},
                                 {"lut_interpolation": "cubic"}, {"lutt": "x.cube"}])
def test_model_rejects(bad: dict) -> None:
    with pytest.raises(ValidationError):
        WallColor.model_validate(bad)


def _config(tmp_path: Path, color_yaml: str) -> Path:
    text = (REPO / "configs" / "demo.yaml").read_text()
    text = text.replace("scene: ../scenes/demo.yaml\n", "")
    marker = "    output: {node: node1, offset_px: [0, 0]}\n"
    assert marker in text
    path = tmp_path / "stage.yaml"
    path.write_text(text.replace(marker, marker + color_yaml, 1))
    return path


def test_lut_path_is_resolved_against_the_config(tmp_path: Path) -> None:
    (tmp_path / "luts").mkdir()
    shutil.copy(REPO / "configs" / "luts" / "warm-17.cube", tmp_path / "luts" / "warm.cube")
    path = _config(tmp_path, "    color: {transfer: pq, gamut: rec2020, peak_nits: 1500, lut: luts/warm.cube}\n")
    config = load_stage_config(path)
    color = config.walls[0].color
    assert (color.transfer, color.gamut, color.peak_nits) == ("pq", "rec2020", 1500.0)
    assert color.lut == str((tmp_path / "luts" / "warm.cube").resolve())
    assert config.walls[1].color == WallColor()


def test_bad_lut_fails_with_one_line_naming_file_and_problem(tmp_path: Path) -> None:
    (tmp_path / "bad.cube").write_text("LUT_3D_SIZE 2\n0 0 0\n0 x 0\n")
    path = _config(tmp_path, "    color: {lut: bad.cube}\n")
    with pytest.raises(ConfigError) as info:
        load_stage_config(path)
    lines = info.value.lines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}:")
    assert "walls[0].color.lut" in lines[0]
    assert f"{tmp_path / 'bad.cube'}:3: non-numeric value 'x'" in lines[0]


def test_missing_lut(tmp_path: Path) -> None:
    path = _config(tmp_path, "    color: {lut: nowhere.cube}\n")
    with pytest.raises(ConfigError, match=r"nowhere\.cube: LUT file not found"):
        load_stage_config(path)
