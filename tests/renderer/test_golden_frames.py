"""Golden frames of fixed stages, scenes and poses: every wall image, camera.png and preview.png per case.

Goldens live in ``tests/golden/<case>/`` (RGB PNGs, small: camera width 200 px, walls at their config
resolution). Each case is rendered once per module on the session's headless GL context and compared with
:func:`renderer.golden.compare_images` at its default tolerance (a pixel differs when a channel is off by more than
8 levels; at most 0.2 % of pixels may differ), so other Mesa builds and GPUs pass while a moved wall, a wrong colour
or a 1-pixel misregistration fails. A failure writes ``<image>.actual.png``, ``.expected.png`` and ``.diff.png``
under ``tests/_failures/golden/<case>/`` (git-ignored).

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
from renderer.golden import compare_folder, compare_images, frame_images, load_png, save_rgb_png
from renderer.offline import render_frame
from renderer.views import CameraState
from stage.config.lightcards import LightCard
from stage.config.loader import load_scene_config, load_stage_config
from stage.lens import LensSolver
from stage.live import LiveState

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


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_frame(name: str, frames: dict[str, dict[str, np.ndarray]], updating: bool) -> None:
    images = frames[name]
    if updating:
        _update(name, images)
        return
    evidence = FAILURES / name
    problems = compare_folder(images, GOLDEN / name, evidence)
    assert not problems, (f"{name}: {len(problems)} image(s) differ from tests/golden/{name}/; evidence in "
                          f"{evidence.relative_to(REPO)}/\n" + "\n".join(problems))


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
