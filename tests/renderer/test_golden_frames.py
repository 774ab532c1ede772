"""Golden frames of fixed stages, scenes and poses: every wall image, camera.png and preview.png per case.

Goldens live in ``tests/golden/<case>/`` (RGB PNGs, small: camera width 200 px, walls at their config
resolution). Each case is rendered once per module on the session's headless GL context; **each image is its own
test** (``test_golden_image[<case>/walls/<wall>.png]``), compared with :func:`renderer.golden.compare_images` at
its default tolerance (a pixel differs when a channel is off by more than 8 levels; at most 0.2 % of the image's
pixels may differ), so other Mesa builds and GPUs pass while a moved wall or a wrong colour fails. Every case also
carries :func:`registration_cards` (two hard-edged light cards per wall), and
``test_every_golden_wall_shows_its_misregistration`` proves on the stored goldens that a 1-pixel shift (each way) or
a mirror of any single wall image fails that comparison — a ceiling of smooth sky alone could not show it. A failure
writes ``<image>.actual.png``, ``.expected.png`` and ``.diff.png`` under ``tests/_failures/golden/<case>/``
(git-ignored).

Regenerate after an intended change of the rendering with::

    .venv/bin/python -m pytest tests/renderer/test_golden_frames.py --update-golden

which rewrites the goldens (removing stale ones of a case), checks that each written file reads back identical, and
reports every rewrite as a ``GoldenUpdated`` warning in pytest's summary. Look at the images before committing them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from renderer.gl import GLContext
from renderer.golden import (
    compare_images,
    compare_with_golden,
    frame_images,
    load_png,
    registration_blind_spots,
    save_rgb_png,
)
from renderer.offline import render_frame
from renderer.views import CameraState
from stage.core.config.lightcards import LightCard
from stage.core.config.loader import load_scene_config, load_stage_config
from stage.core.config.wall_geometry import wall_size_m
from stage.core.config.walls import Wall
from stage.core.lens import LensSolver
from stage.core.live import LiveState

pytestmark = pytest.mark.gl

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"
FAILURES = REPO / "tests" / "_failures" / "golden"
CAMERA_WIDTH_PX = 200
MAX_GOLDEN_BYTES = 1_500_000


class GoldenUpdated(UserWarning):
    """A golden image was rewritten by ``--update-golden``."""


@dataclass(frozen=True)
class Case:
    config: str
    pose: tuple[float, float, float, float, float, float]
    chroma_key: bool = False
    light_cards: list[dict] = field(default_factory=list)
    scene: str = "scenes/demo.yaml"
    registration: bool = True
    """Add :func:`registration_cards`, so that every wall image shows where its pixels are."""


REGISTRATION_CARDS = (  # (center u, v), (width, height) as fractions of the wall, colour: no symmetry to hide a mirror
    ((0.22, 0.30), (0.30, 0.70), (1.0, 0.15, 0.55)),
    ((0.68, 0.62), (0.16, 0.34), (0.15, 1.0, 0.35)),
)


def registration_cards(walls: list[Wall]) -> dict[str, LightCard]:
    """Two hard-edged light cards on every wall, off-centre and of different sizes and colours: their edges make a
    1-pixel shift or a mirror of any wall image visible at the golden tolerance, also where the scene shows only
    smooth sky (test_every_golden_wall_shows_its_misregistration)."""
    cards = {}
    for wall in walls:
        width_m, height_m = wall_size_m(wall)
        for i, (uv, (fw, fh), color) in enumerate(REGISTRATION_CARDS):
            name = f"registration-{wall.name}-{i}"
            cards[name] = LightCard(name=name, wall=wall.name, center_uv=uv, size_m=(fw * width_m, fh * height_m),
                                    softness=0.0, color=color)
    return cards


CASES = {
    "demo-main": Case("configs/demo.yaml", (0.0, 0.5, 1.6, 0.0, 0.0, 0.0)),
    "demo-ceiling": Case("configs/demo.yaml", (0.5, 1.0, 1.5, 10.0, 35.0, 0.0)),
    "curved-small": Case("tests/data/curved-small.yaml", (0.5, -1.0, 1.8, 10.0, 8.0, 0.0)),
    "demo-chroma": Case("configs/demo.yaml", (0.3, 0.6, 1.5, -10.0, 3.0, 0.0), chroma_key=True),
    "demo-lightcards": Case("configs/demo.yaml", (0.0, 0.5, 1.6, 0.0, 0.0, 0.0), light_cards=[
        {"name": "key", "wall": "main", "center_uv": [0.1, 0.3], "size_m": [1.0, 0.8], "color": [1.0, 0.8, 0.6],
         "intensity": 1.5},
        {"name": "rim", "azimuth_deg": 30.0, "elevation_deg": 10.0, "shape": "ellipse", "size_m": [1.2, 0.8],
         "softness": 0.5, "color": [0.5, 0.7, 1.0]},
    ]),
}


def render_case(case: Case, context: GLContext) -> dict[str, np.ndarray]:
    config = load_stage_config(REPO / case.config)
    scene = load_scene_config(REPO / case.scene)
    camera = config.cameras[0]
    lens = LensSolver(camera.lens)()
    x, y, z, pan, tilt, roll = case.pose
    state = CameraState(camera=camera.id, position_m=(x, y, z), rotation_deg=(pan, tilt, roll),
                        focal_length_mm=lens.focal_length_mm, sensor_mm=camera.sensor_mm,
                        entrance_pupil_m=lens.entrance_pupil_m, priority=camera.priority)
    live = LiveState.from_config(config)
    live.chroma_key = case.chroma_key
    live.light_cards = {c["name"]: LightCard.model_validate(c) for c in case.light_cards}
    if case.registration:
        live.light_cards |= registration_cards(list(config.walls))
    context.make_current()
    result = render_frame(config, scene, [state], live, 0.0, CAMERA_WIDTH_PX, context=context)
    return frame_images(result)


@pytest.fixture(scope="module")
def frames(gl_session_context: GLContext) -> dict[str, dict[str, np.ndarray]]:
    """Every case rendered once for the module."""
    return {name: render_case(case, gl_session_context) for name, case in CASES.items()}


@pytest.fixture(scope="module")
def updating(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


_UPDATED: set[str] = set()
"""Cases rewritten in this run (each is written and reported once)."""


def _update(name: str, images: dict[str, np.ndarray]) -> None:
    if name in _UPDATED:
        return
    _UPDATED.add(name)
    case_dir = GOLDEN / name
    for stale in sorted(case_dir.rglob("*.png")):
        if stale.relative_to(case_dir).as_posix() not in images:
            stale.unlink()
    for rel, image in images.items():
        path = case_dir / rel
        save_rgb_png(image, path)
        back = compare_images(image, load_png(path), channel_threshold=0, max_fraction_over=0.0)
        assert back.passed and back.max_diff == 0, f"{path} does not read back identical: {back.message}"
        warnings.warn(GoldenUpdated(f"updated golden {path.relative_to(REPO)}"), stacklevel=2)


def image_names(case: Case) -> list[str]:
    """The images a case renders (without rendering it): one per wall of its config, camera.png, preview.png."""
    walls = load_stage_config(REPO / case.config).walls
    return [f"walls/{w.name}.png" for w in walls] + ["camera.png", "preview.png"]


def image_params(cases: dict[str, Case], prefix: str = "") -> list:
    """``(case, image)`` pairs for ``parametrize``, with ids ``<prefix><case>/<image>``."""
    return [pytest.param(name, rel, id=f"{prefix}{name}/{rel}") for name in sorted(cases)
            for rel in image_names(cases[name])]


def check_image(images: dict[str, np.ndarray], rel: str, case_dir: Path, evidence: Path) -> None:
    """Assert that the rendered ``rel`` matches its golden in ``case_dir`` (evidence under ``evidence``)."""
    assert rel in images, f"{rel} was not rendered (rendered: {sorted(images)})"
    problem = compare_with_golden(images[rel], case_dir, rel, evidence)
    assert problem is None, (f"{case_dir.relative_to(REPO)}/{problem}; evidence in "
                             f"{evidence.relative_to(REPO)}/")


@pytest.mark.parametrize(("name", "rel"), image_params(CASES))
def test_golden_image(name: str, rel: str, frames: dict[str, dict[str, np.ndarray]], updating: bool) -> None:
    if updating:
        _update(name, frames[name])
        return
    check_image(frames[name], rel, GOLDEN / name, FAILURES / name)


def test_every_golden_wall_shows_its_misregistration(updating: bool) -> None:
    """Each stored wall image (tests/golden/*/walls/, scene goldens too) fails the golden comparison when shifted by
    one pixel in any direction or mirrored: each wall is checked on its own, so no wall can slip by."""
    if updating:
        pytest.skip("goldens are being rewritten: run again without --update-golden")
    walls = sorted(GOLDEN.glob("*/walls/*.png"))
    assert len(walls) >= 20
    blind = {p.relative_to(GOLDEN).as_posix(): spots for p in walls
             if (spots := registration_blind_spots(load_png(p)))}
    assert not blind, "golden walls that would accept a misplaced image:\n" + "\n".join(
        f"{rel}: {', '.join(spots)}" for rel, spots in blind.items())


def test_cases_render_what_they_claim(frames: dict[str, dict[str, np.ndarray]]) -> None:
    """The cases are not accidentally alike: chroma key shows the key colour, the cards change the main wall."""
    main, chroma, cards = frames["demo-main"], frames["demo-chroma"], frames["demo-lightcards"]
    key = np.all(np.abs(chroma["walls/main.png"][:, :, :3].astype(int) - (0, 230, 118)) < 40, axis=2)
    assert key.mean() > 0.1
    for wall in ("main", "side-right"):  # one card on the main wall by uv, one on the side wall by direction
        changed = np.any(main[f"walls/{wall}.png"] != cards[f"walls/{wall}.png"], axis=2)
        assert changed.mean() > 0.01, wall
    assert set(frames["curved-small"]) == {f"walls/main-{i}.png" for i in range(1, 5)} | {
        "walls/ceiling.png", "camera.png", "preview.png"}


def test_golden_folder_is_small_and_has_no_strays(frames: dict[str, dict[str, np.ndarray]], updating: bool) -> None:
    if updating:  # independent of test order: the folder is written before it is measured
        for name, images in frames.items():
            _update(name, images)
    expected = {f"{name}/{rel}" for name, images in frames.items() for rel in images}
    # tests/golden/scene-*/ belongs to test_golden_scenes.py, which checks its own folders.
    present = {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*")
               if p.is_file() and not p.relative_to(GOLDEN).parts[0].startswith("scene-")}
    assert present == expected, f"strays: {sorted(present - expected)}; missing: {sorted(expected - present)}"
    total = sum(p.stat().st_size for p in GOLDEN.rglob("*") if p.is_file())
    assert total < MAX_GOLDEN_BYTES, f"tests/golden is {total} bytes (keep it under {MAX_GOLDEN_BYTES})"
