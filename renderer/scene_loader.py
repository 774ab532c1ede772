"""Scene switches off the frame loop: a worker thread parses the scene file and prepares its CPU data (arrays,
terrain, decoded images, glTF meshes); the render thread polls once a frame and uploads a finished scene, so the
previous scene keeps drawing until the new one is ready. The latest request wins; older results are dropped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from renderer.gl.scene_geometry import PreparedScene
from stage.core.config.color import ColorManagement

log = logging.getLogger(__name__)


def load_prepared(path: Path, color: ColorManagement | None = None) -> PreparedScene:
    """Load, check and prepare a scene file (raises ``ConfigError`` or ``AssetError``); with the stage's colour
    management ``color``, texture colour spaces are checked against it and converted to its working space."""
    from renderer.gl.scene_geometry import prepare_scene
    from stage.core.config.loader import load_scene_config

    return prepare_scene(load_scene_config(path, color), color)


@dataclass(frozen=True)
class LoadResult:
    """A finished load: ``prepared`` on success, else ``error`` (one line)."""

    path: Path
    prepared: PreparedScene | None
    error: str | None
    load_s: float
    """Wall-clock seconds the worker spent."""


class SceneLoader:
    """One worker thread; :meth:`request` from the render thread, :meth:`poll` once a frame."""

    def __init__(self, load: Callable[[Path], PreparedScene] = load_prepared) -> None:
        self._load = load
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scene-loader")
        self._future: Future[LoadResult] | None = None
        self.pending_path: Path | None = None

    def _run(self, path: Path) -> LoadResult:
        start = time.monotonic()
        try:
            prepared = self._load(path)
            return LoadResult(path, prepared, None, time.monotonic() - start)
        except Exception as exc:  # noqa: BLE001 - reported as a result, the render loop keeps going
            return LoadResult(path, None, str(exc).replace("\n", "; "), time.monotonic() - start)

    def request(self, path: Path) -> None:
        """Start loading ``path`` (a request for the path already loading is ignored)."""
        if self.pending_path == path:
            return
        self.pending_path = path
        self._future = self._pool.submit(self._run, path)
        log.info("scene %s: loading in the background", path)

    def poll(self) -> LoadResult | None:
        """The result of the latest request once it is done (returned once), else None."""
        future = self._future
        if future is None or not future.done():
            return None
        self._future, self.pending_path = None, None
        return future.result()

    def close(self) -> None:
        """Stop accepting work; a load in progress finishes in the background and is dropped."""
        self._future = None
        self._pool.shutdown(wait=False, cancel_futures=True)
