"""Golden frames of every shipped scene (``scenes/*.yaml`` except demo, which test_golden_frames covers) on the
demo stage: ``tests/golden/scene-<name>/`` holds every wall image, camera.png and preview.png (camera width
200 px), compared like :mod:`tests.renderer.test_golden_frames` (each image its own test, same tolerance and
registration cards, evidence under ``tests/_failures/golden/``). Regenerate after an intended change with::

    .venv/bin/python -m pytest tests/renderer/test_golden_scenes.py --update-golden
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from renderer.gl import GLContext
from renderer.golden import compare_images, load_png, save_rgb_png
from tests.renderer.test_golden_frames import (
    FAILURES,
    GOLDEN,
    REPO,
    Case,
    GoldenUpdated,
    check_image,
    image_params,
    render_case,
)

pytestmark = pytest.mark.gl

MAX_SCENE_GOLDEN_BYTES = 600_000
SHIPPED = sorted(p.stem for p in (REPO / "scenes").glob("*.yaml") if p.stem != "demo")
POSES = {  # x, y, z, pan, tilt, roll
    "calibration": (0.0, 0.5, 1.6, 0.0, 0.0, 0.0),
    "night-city": (0.0, 0.5, 1.6, 5.0, 3.0, 0.0),
    "landscape": (0.0, 0.5, 1.6, -10.0, 2.0, 0.0),
    "gallery": (0.0, 0.5, 1.5, 0.0, 5.0, 0.0),
}


def case_for(name: str) -> Case:
    return Case("configs/demo.yaml", POSES.get(name, (0.0, 0.5, 1.6, 0.0, 0.0, 0.0)), scene=f"scenes/{name}.yaml")


@pytest.fixture(scope="module")
def frames(gl_session_context: GLContext) -> dict[str, dict[str, np.ndarray]]:
    return {name: render_case(case_for(name), gl_session_context) for name in SHIPPED}


def _write(name: str, images: dict[str, np.ndarray]) -> None:
    case_dir = GOLDEN / f"scene-{name}"
    for stale in sorted(case_dir.rglob("*.png")):
        if stale.relative_to(case_dir).as_posix() not in images:
            stale.unlink()
    for rel, image in images.items():
        save_rgb_png(image, case_dir / rel)
        assert compare_images(image, load_png(case_dir / rel), channel_threshold=0, max_fraction_over=0.0).passed
    warnings.warn(GoldenUpdated(f"updated goldens {case_dir.relative_to(REPO)}"), stacklevel=2)


_WRITTEN: set[str] = set()


def test_every_shipped_scene_has_a_pose() -> None:
    assert set(SHIPPED) == set(POSES)


@pytest.mark.parametrize(("name", "rel"), image_params({n: case_for(n) for n in SHIPPED}, prefix="scene-"))
def test_scene_golden_image(name: str, rel: str, frames: dict[str, dict[str, np.ndarray]],
                            request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--update-golden"):
        if name not in _WRITTEN:
            _WRITTEN.add(name)
            _write(name, frames[name])
        return
    check_image(frames[name], rel, GOLDEN / f"scene-{name}", FAILURES / f"scene-{name}")


def test_scene_goldens_are_small_and_have_no_strays(frames: dict[str, dict[str, np.ndarray]],
                                                    request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--update-golden"):
        return
    expected = {f"scene-{n}/{rel}" for n, images in frames.items() for rel in images}
    files = [p for p in GOLDEN.glob("scene-*/**/*") if p.is_file()]
    present = {p.relative_to(GOLDEN).as_posix() for p in files}
    assert present == expected, f"strays: {sorted(present - expected)}; missing: {sorted(expected - present)}"
    total = sum(p.stat().st_size for p in files)
    assert total < MAX_SCENE_GOLDEN_BYTES, f"scene goldens are {total} bytes"


def test_scenes_render_what_they_claim(frames: dict[str, dict[str, np.ndarray]]) -> None:
    """Night is dark with bright windows; the calibration checker has both extremes on the main wall."""
    city = frames["night-city"]["walls/main.png"][:, :, :3].astype(int)
    assert city.mean() < 60 and (city.max(axis=2) > 180).mean() > 0.002
    checker = frames["calibration"]["walls/main.png"][:, :, :3].astype(int)
    assert (checker.mean(axis=2) < 60).mean() > 0.2 and (checker.mean(axis=2) > 200).mean() > 0.2

