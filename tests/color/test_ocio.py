"""OpenColorIO colour management without GL: configs load (built-in URIs and files), every missing colour space,
display, view or look is a one-line ``file:line`` error naming the valid choices, a wall uses either OCIO or the
built-in chain, and the OpenVPCal-shaped example config (``configs/ocio/openvpcal-example``, written after
Netflix/OpenVPCal ``src/open_vp_cal/core/ocio_config.py``) is read the way OCIO reads it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from stage.app.cli import main
from stage.core.color.ocio import (
    DisplayView,
    OcioError,
    apply_cpu,
    check_names,
    display_processor,
    is_high_bit_depth,
    load_config,
    resolve_config_ref,
    working_from_rec709,
)
from stage.core.color.transfer import srgb_encode
from stage.core.config.errors import ConfigError
from stage.core.config.loader import load_stage_config

REPO = Path(__file__).resolve().parents[2]
STUDIO = "ocio://studio-config-latest"
OPENVPCAL = str(REPO / "configs" / "ocio" / "openvpcal-example" / "config.ocio")
LED = "P3-D65 - BT.1886 - OpenVPCal LED"

STAGE = """name: OCIO test
color:
  ocio_config: {config}
  working_space: {working}
walls:
  - name: main
    kind: flat
    corners: {{lower_left: [-3.0, 4.0, 0.0], lower_right: [3.0, 4.0, 0.0], upper_left: [-3.0, 4.0, 3.0]}}
    resolution_px: [64, 32]
    output: {{node: n1}}
    color: {color}
nodes:
  - {{name: n1, outputs: [{{name: o, resolution_px: [64, 32]}}]}}
"""


def stage_file(tmp_path: Path, config: str = STUDIO, working: str = "ACEScg", color: str = "{}") -> Path:
    path = tmp_path / "stage.yaml"
    path.write_text(STAGE.format(config=config, working=working, color=color))
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_stage_config(path)
    return info.value.lines()


def test_bad_colour_space_name_is_one_file_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = stage_file(tmp_path, working="ACEScgg")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"{path}:4: color.working_space: unknown colour space 'ACEScgg' (colour spaces: ")
    assert "'ACEScg'" in err[0] and "Traceback" not in err[0]


def test_missing_display_view_and_look_name_the_choices(tmp_path: Path) -> None:
    path = stage_file(tmp_path, color="{display: sRGB, look: warm}")
    lines = problems(path)
    assert lines[0].startswith(f"{path}:11: walls[0].color.display: unknown display 'sRGB' (displays: 'sRGB - Display'")
    assert lines[1] == (f"{path}:11: walls[0].color.look: unknown look 'warm' "
                        "(looks: 'ACES 1.3 Reference Gamut Compression')")
    path = stage_file(tmp_path, color="{display: sRGB - Display, view: Film}")
    (line,) = problems(path)
    assert line == (f"{path}:11: walls[0].color.view: display 'sRGB - Display' has no view 'Film' (views: "
                    "'ACES 2.0 - SDR 100 nits (Rec.709)', 'Un-tone-mapped', 'Video (colorimetric)', 'Raw')")


def test_config_that_does_not_load(tmp_path: Path) -> None:
    (line,) = problems(stage_file(tmp_path, config="missing/config.ocio"))
    assert f"{tmp_path}/stage.yaml:3: color.ocio_config: cannot load OCIO config {tmp_path}/missing/config.ocio" in line
    (tmp_path / "bad.ocio").write_text("ocio_profile_version: 2.1\nroles: [\n")
    (line,) = problems(stage_file(tmp_path, config="bad.ocio"))
    assert ":3: color.ocio_config: cannot load OCIO config" in line and "\n" not in line


def test_one_colour_path_per_wall(tmp_path: Path) -> None:
    (line,) = problems(stage_file(tmp_path, color="{transfer: pq}"))
    assert "walls[0].color.transfer: has no effect with color.ocio_config" in line
    path = tmp_path / "builtin.yaml"
    text = STAGE.format(config=STUDIO, working="ACEScg", color="{view: Raw}")
    path.write_text(text.replace("color:\n  ocio_config: ocio://studio-config-latest\n  working_space: ACEScg\n", ""))
    (line,) = problems(path)
    assert line == f"{path}:8: walls[0].color.view: needs color.ocio_config (the built-in chain has no displays)"


def test_summary_shows_each_walls_display_and_view(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = stage_file(tmp_path, color="{display: Rec.2100-PQ - Display}")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "colour: Rec.2100-PQ - Display / ACES 2.0 - HDR 1000 nits (P3 D65)" in out  # the default view, resolved
    assert "colour management: OCIO ocio://studio-config-latest, working space ACEScg" in out
    assert main(["validate", str(REPO / "configs" / "demo.yaml")]) == 0
    assert "colour: sRGB, Rec.709, no LUT" in capsys.readouterr().out


def test_relative_config_path_is_resolved_against_the_stage_file() -> None:
    config = load_stage_config(REPO / "configs" / "demo-aces-openvpcal.yaml")
    assert config.color.ocio_config == OPENVPCAL
    assert resolve_config_ref(STUDIO, REPO) == STUDIO
    with pytest.raises(OcioError, match="cannot load OCIO config"):
        load_config(str(REPO / "nope.ocio"))


def test_check_names_accepts_defaults_and_look_lists() -> None:
    config = load_config(STUDIO)
    assert check_names(config, DisplayView()) == {}
    assert check_names(config, DisplayView("sRGB - Display", None, "+ACES 1.3 Reference Gamut Compression")) == {}


def test_white_balance_is_conjugated_with_ocios_rec709_to_acescg_matrix() -> None:
    # AP1 from Rec.709 (D65 → D60 Bradford), the ACES matrix as the studio config computes it
    expected = [[0.6131, 0.3395, 0.0474], [0.0702, 0.9164, 0.0134], [0.0206, 0.1096, 0.8698]]
    np.testing.assert_allclose(working_from_rec709(STUDIO, "ACEScg"), expected, atol=2e-4)
    np.testing.assert_allclose(working_from_rec709(STUDIO, "Linear Rec.709 (sRGB)"), np.eye(3), atol=1e-6)


def test_hdr_displays_need_16_bits() -> None:
    assert is_high_bit_depth(STUDIO, DisplayView("Rec.2100-PQ - Display"))
    assert is_high_bit_depth(STUDIO, DisplayView("ST2084-P3-D65 - Display"))
    assert not is_high_bit_depth(STUDIO, DisplayView("sRGB - Display"))
    assert not is_high_bit_depth(OPENVPCAL, DisplayView(LED))


def test_openvpcal_shaped_config_applies_calibration_matrix_gamma_and_lut() -> None:
    calibrated = display_processor(OPENVPCAL, "ACEScg", DisplayView(LED, "OpenVPCal main - ACEScg"))
    before = display_processor(OPENVPCAL, "ACEScg", DisplayView(LED, "OpenVPCal PreCalibration"))
    grey = np.array([0.18, 0.18, 0.18])
    # grey stays grey through the matrices (rows sum to 1), is encoded with 1/2.4, then warmed by the .cube
    code = 0.18 ** (1 / 2.4)
    np.testing.assert_allclose(apply_cpu(before, grey), code ** np.array([0.92, 0.98, 1.08]), atol=2e-3)
    np.testing.assert_allclose(apply_cpu(calibrated, grey), apply_cpu(before, grey), atol=1e-5)
    red = np.array([0.5, 0.1, 0.05])
    assert not np.allclose(apply_cpu(calibrated, red), apply_cpu(before, red), atol=1e-3)  # the 3×3 correction


def test_studio_config_srgb_raw_view_is_the_srgb_curve() -> None:
    """Cross-check with our own maths: the un-tone-mapped sRGB view of linear Rec.709 is IEC 61966-2-1."""
    p = display_processor(STUDIO, "Linear Rec.709 (sRGB)", DisplayView("sRGB - Display", "Un-tone-mapped"))
    values = np.array([[0.001, 0.05, 0.18], [0.5, 0.9, 1.0]])
    np.testing.assert_allclose(apply_cpu(p, values), srgb_encode(values), atol=1e-5)


def test_missing_lut_of_a_file_transform_is_found_by_validate(tmp_path: Path) -> None:
    text = Path(OPENVPCAL).read_text().replace("search_path: ../../luts", "search_path: luts")
    (tmp_path / "vpcal.ocio").write_text(text)
    (line,) = problems(stage_file(tmp_path, config="vpcal.ocio", color=f"{{display: {LED}}}"))
    assert line.startswith(f"{tmp_path}/stage.yaml:11: walls[0].color: ") and "warm-17.cube" in line


def test_camera_inner_look_is_checked(tmp_path: Path) -> None:
    text = stage_file(tmp_path).read_text() + """cameras:
  - id: A
    source: t
    sensor_mm: [24.89, 14.0]
    lens: {kind: fixed, focal_length_mm: 35.0}
    inner_look: Show LUT
sources: [{name: t, kind: opentrackio}]
"""
    path = tmp_path / "cams.yaml"
    path.write_text(text)
    (line,) = problems(path)
    assert line == (f"{path}:19: cameras[0].inner_look: unknown look 'Show LUT' "
                    "(looks: 'ACES 1.3 Reference Gamut Compression')")
    path.write_text(text.replace("inner_look: Show LUT", "inner_look: ACES 1.3 Reference Gamut Compression"))
    assert load_stage_config(path).cameras[0].inner_look == "ACES 1.3 Reference Gamut Compression"


def test_light_card_colour_space_is_checked(tmp_path: Path) -> None:
    text = stage_file(tmp_path).read_text() + """render:
  light_cards:
    - {name: key, wall: main, center_uv: [0.5, 0.5], color: [0.8, 0.5, 0.2], color_space: sRGB}
"""
    path = tmp_path / "cards.yaml"
    path.write_text(text)
    (line,) = problems(path)
    assert line.startswith(f"{path}:16: render.light_cards[0].color_space: unknown colour space 'sRGB' "
                           "(colour spaces: 'sRGB - Display'")
    path.write_text(text.replace("color_space: sRGB}", "color_space: sRGB Encoded Rec.709 (sRGB)}"))
    assert load_stage_config(path).render.light_cards[0].color_space == "sRGB Encoded Rec.709 (sRGB)"
