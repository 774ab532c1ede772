"""Golden frames of the wall output transform: one case per output encoding (sRGB, BT.1886 + P3, PQ + Rec.2020 as a
16-bit PNG, linear), one with a calibration LUT, one per OCIO display of the ACES studio config (sRGB, Rec.1886,
Display P3, Rec.2100-PQ as a 16-bit PNG) and one with the OpenVPCal-shaped config, on the one-wall stage
``tests/color/data/color-stage.yaml`` (128×64 px: the demo scene, one camera's inner frustum and an HDR light
card of 8× white).

Goldens live in ``tests/golden-color/<case>/main.png`` — beside ``tests/golden/``, whose stray check in
``test_golden_frames.py`` owns that folder. 8-bit cases compare with :func:`renderer.golden.compare_images` at its
default tolerance; the 16-bit PQ case is compared at 8 bits (rounded) the same way and must also be a 16-bit PNG.
Evidence of a failure goes to ``tests/_failures/golden-color/<case>/``. Regenerate with::

    .venv/bin/python -m pytest tests/renderer/test_golden_color.py --update-golden
"""

from __future__ import annotations

import shutil
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from renderer.gl import GLContext
from renderer.golden import compare_images, load_png, save_rgb_png, write_evidence
from renderer.offline import render_frame
from renderer.views import CameraState
from stage.core.color.png16 import load_png16, save_png16
from stage.core.config.color import ColorManagement, WallColor
from stage.core.config.loader import load_scene_config, load_stage_config
from stage.core.lens import LensSolver
from stage.core.live import LiveState

pytestmark = pytest.mark.gl

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden-color"
FAILURES = REPO / "tests" / "_failures" / "golden-color"
CONFIG = REPO / "tests" / "color" / "data" / "color-stage.yaml"
SCENE = REPO / "scenes" / "demo.yaml"
POSE = (0.0, 0.5, 1.6, -8.0, 2.0, 0.0)
MAX_GOLDEN_BYTES = 300_000


class GoldenUpdated(UserWarning):
    """A golden image was rewritten by ``--update-golden``."""


@dataclass(frozen=True)
class Case:
    color: WallColor
    exposure_ev: float = 0.0
    white_balance_k: float = 6500.0
    tint: float = 0.0
    management: ColorManagement | None = None
    """The stage's ``color`` block (an OCIO config); ``None``: the built-in chain."""


ACES = ColorManagement(ocio_config="ocio://studio-config-latest", working_space="ACEScg")
WARM_LUT = str(REPO / "configs" / "luts" / "warm-17.cube")
CASES = {
    "color-srgb": Case(WallColor()),
    "color-bt1886-p3d65": Case(WallColor(transfer="bt1886", gamut="p3d65"), exposure_ev=0.5, white_balance_k=3200.0),
    "color-pq-rec2020": Case(WallColor(transfer="pq", gamut="rec2020", peak_nits=1000.0)),
    "color-linear": Case(WallColor(transfer="linear"), white_balance_k=9000.0, tint=0.5),
    "color-srgb-warm-lut": Case(WallColor(lut=WARM_LUT, lut_interpolation="tetrahedral")),
    # OCIO: one golden per display of the ACES studio config (ACES 2.0 views), and the OpenVPCal-shaped config
    "ocio-srgb": Case(WallColor(display="sRGB - Display"), management=ACES),
    "ocio-rec1886-rec709": Case(WallColor(display="Rec.1886 Rec.709 - Display"), management=ACES),
    "ocio-p3d65": Case(WallColor(display="Display P3 - Display"), management=ACES, white_balance_k=3200.0),
    "ocio-rec2100-pq": Case(WallColor(display="Rec.2100-PQ - Display"), management=ACES),
    "ocio-openvpcal": Case(WallColor(display="P3-D65 - BT.1886 - OpenVPCal LED"), management=ColorManagement(
        ocio_config=str(REPO / "configs" / "ocio" / "openvpcal-example" / "config.ocio"), working_space="ACEScg")),
}


def render_case(case: Case, context: GLContext) -> np.ndarray:
    """The wall image: uint8 RGB, or uint16 RGB when the encoding needs 16 bits."""
    config = load_stage_config(CONFIG)
    config.walls[0].color = case.color
    if case.management is not None:
        config.color = case.management
    scene = load_scene_config(SCENE)
    camera = config.cameras[0]
    lens = LensSolver(camera.lens)()
    x, y, z, pan, tilt, roll = POSE
    state = CameraState(camera=camera.id, position_m=(x, y, z), rotation_deg=(pan, tilt, roll),
                        focal_length_mm=lens.focal_length_mm, sensor_mm=camera.sensor_mm,
                        entrance_pupil_m=lens.entrance_pupil_m, priority=camera.priority)
    live = LiveState.from_config(config)
    live.exposure_ev, live.white_balance_k, live.tint = case.exposure_ev, case.white_balance_k, case.tint
    context.make_current()
    result = render_frame(config, scene, [state], live, 0.0, 64, context=context)
    image = result.walls_16bit.get("main", result.walls["main"])
    return np.ascontiguousarray(image[:, :, :3])


def to_8bit(image: np.ndarray) -> np.ndarray:
    return image if image.dtype == np.uint8 else np.round(image / 257.0).astype(np.uint8)


def png_bit_depth(path: Path) -> int:
    return struct.unpack(">B", path.read_bytes()[24:25])[0]  # IHDR: signature 8 + length 4 + type 4 + w 4 + h 4


def save(image: np.ndarray, path: Path) -> None:
    if image.dtype == np.uint16:
        save_png16(image, path)
    else:
        save_rgb_png(image, path)


def load(path: Path, sixteen: bool) -> np.ndarray:
    return load_png16(path) if sixteen else load_png(path)


@pytest.fixture(scope="module")
def frames(gl_session_context: GLContext) -> dict[str, np.ndarray]:
    return {name: render_case(case, gl_session_context) for name, case in CASES.items()}


@pytest.fixture(scope="module")
def updating(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


_UPDATED: set[str] = set()


def _update(name: str, image: np.ndarray) -> None:
    if name in _UPDATED:
        return
    _UPDATED.add(name)
    path = GOLDEN / name / "main.png"
    save(image, path)
    assert np.array_equal(load(path, image.dtype == np.uint16), image), f"{path} does not read back identical"
    warnings.warn(GoldenUpdated(f"updated golden {path.relative_to(REPO)}"), stacklevel=2)


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_color_frame(name: str, frames: dict[str, np.ndarray], updating: bool) -> None:
    image = frames[name]
    if updating:
        _update(name, image)
        return
    path = GOLDEN / name / "main.png"
    assert path.is_file(), f"golden {path.relative_to(REPO)} missing (run pytest --update-golden)"
    sixteen = image.dtype == np.uint16
    assert png_bit_depth(path) == (16 if sixteen else 8)
    expected = load(path, sixteen)
    actual8, expected8 = to_8bit(image), to_8bit(expected)
    result = compare_images(actual8, expected8)
    evidence = FAILURES / name
    shutil.rmtree(evidence, ignore_errors=True)
    if not result.passed:
        write_evidence(evidence, "main", actual8, expected8, result)
    assert result.passed, f"{name}: {result.message}; evidence in {evidence.relative_to(REPO)}/"


def test_cases_differ_where_they_should(frames: dict[str, np.ndarray]) -> None:
    srgb, warm = frames["color-srgb"].astype(int), frames["color-srgb-warm-lut"].astype(int)
    assert frames["color-pq-rec2020"].dtype == np.uint16 and srgb.dtype != np.uint16
    assert (warm[..., 0] - warm[..., 2]).mean() > (srgb[..., 0] - srgb[..., 2]).mean() + 3  # the LUT warms
    tungsten = frames["color-bt1886-p3d65"].astype(int)  # a camera balanced for 3200 K: daylight content turns blue
    assert (tungsten[..., 0] - tungsten[..., 2]).mean() < (srgb[..., 0] - srgb[..., 2]).mean() - 20
    # the HDR card (8× white) clips in SDR but keeps detail in PQ: many distinct 16-bit levels in its area
    pq = frames["color-pq-rec2020"]
    assert len(np.unique(pq[:, 96:, 1])) > 500


def test_golden_color_folder_is_small_and_has_no_strays(frames: dict[str, np.ndarray], updating: bool) -> None:
    if updating:
        for name, image in frames.items():
            _update(name, image)
    present = {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file()}
    expected = {f"{name}/main.png" for name in frames}
    assert present == expected, f"strays: {sorted(present - expected)}; missing: {sorted(expected - present)}"
    total = sum(p.stat().st_size for p in GOLDEN.rglob("*") if p.is_file())
    assert total < MAX_GOLDEN_BYTES, f"tests/golden-color is {total} bytes (keep it under {MAX_GOLDEN_BYTES})"


def test_ocio_cases_are_display_referred_per_display(frames: dict[str, np.ndarray]) -> None:
    assert frames["ocio-rec2100-pq"].dtype == np.uint16  # an HDR display: a 16-bit PNG
    assert all(frames[n].dtype == np.uint8 for n in ("ocio-srgb", "ocio-rec1886-rec709", "ocio-p3d65"))
    srgb, rec1886 = frames["ocio-srgb"].astype(int), frames["ocio-rec1886-rec709"].astype(int)
    assert rec1886.mean() > srgb.mean() + 3  # the same light: a pure 2.4 power gives higher codes than sRGB's curve
    # ACES 2.0 tone-maps the 8× white HDR card instead of clipping it like the built-in sRGB chain
    builtin = frames["color-srgb"]
    assert (builtin[:, 96:] == 255).sum() > 4 * (frames["ocio-srgb"][:, 96:] == 255).sum()
