"""The poses file of ``stage golden``: named camera poses whose frames are kept as golden images.

```yaml
poses:
  - name: main-wall
    pose: [0.0, 0.5, 1.6, 0.0, 0.0, 0.0]   # x, y, z metres; pan, tilt, roll degrees (stage convention)
  - name: ceiling
    pose: [0.5, 1.0, 1.5, 10.0, 35.0, 0.0]
    focal_length_mm: 18
    chroma_key: true
```

Problems are reported like config problems, one per line: ``file:line: key.path: reason``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from stage.core.config.loader import raise_found, read_yaml, validate_document
from stage.core.config.types import Finite, Name, Percent, PositiveFloat, StrictModel

Pose6 = tuple[Finite, Finite, Finite, Finite, Finite, Finite]
"""``[x, y, z, pan, tilt, roll]``: metres and degrees, stage convention (docs/coordinates.md)."""


class GoldenPose(StrictModel):
    """One named pose whose frame is kept as golden images under ``DIR/<name>/``."""

    name: Name
    """Name of the golden set (a folder name): letters, digits, ``_ . -``."""
    pose: Pose6
    """Camera pose ``[x, y, z, pan, tilt, roll]``: metres, degrees."""
    camera: Name | None = None
    """Camera id in the stage config (default: the config's first camera)."""
    scene: str | None = None
    """Scene file for this pose, relative to the poses file (default: ``--scene`` or the config's scene)."""
    focal_length_mm: PositiveFloat | None = None
    """Override the lens's focal length."""
    time_s: Annotated[Finite, Field(ge=0.0)] = 0.0
    """Scene time, seconds."""
    overscan_pct: Percent | None = None
    """Override the inner-frustum overscan."""
    chroma_key: bool | None = None
    """Fill the inner frustum with the key colour (default: the config's setting)."""


class GoldenPoses(StrictModel):
    """A poses file: the named poses, names unique."""

    poses: Annotated[list[GoldenPose], Field(min_length=1)]
    """The poses, in the order they are rendered and reported."""


def load_poses(path: str | Path, camera_ids: list[str] | None = None) -> GoldenPoses:
    """Load and check a poses file. With ``camera_ids`` (the stage config's cameras), a pose naming another camera
    is a problem too. Raises :class:`~stage.core.config.errors.ConfigError` listing every problem."""
    path = Path(path)
    data, text = read_yaml(path)
    poses = validate_document(GoldenPoses, data, text, str(path))
    raise_found(check_poses(poses, camera_ids), text, str(path))
    return poses


def check_poses(poses: GoldenPoses, camera_ids: list[str] | None = None) -> list[tuple[tuple, str]]:
    """Cross-entry problems as ``[(key path, reason), ...]``: duplicate names, unknown cameras."""
    found: list[tuple[tuple, str]] = []
    first: dict[str, int] = {}
    for i, entry in enumerate(poses.poses):
        if entry.name in first:
            found.append((("poses", i, "name"), f"duplicate name {entry.name!r} (first at poses[{first[entry.name]}])"))
        else:
            first[entry.name] = i
        if camera_ids is not None and entry.camera is not None and entry.camera not in camera_ids:
            known = ", ".join(camera_ids) or "none"
            found.append((("poses", i, "camera"), f"unknown camera {entry.camera!r} (cameras: {known})"))
    return found
