"""The one scene-path rule: which scene file a command uses, and where a relative path is looked up.

Every command that needs a scene (``stage up``, ``stage render``, ``stage validate``, ``stage golden``, the demo
and the render node) calls :func:`scene_file`; docs/scenes.md ("Which scene file") states the same rule.
"""

from __future__ import annotations

import os
from pathlib import Path


def scene_file(config_file: str | Path, config_scene: str | None, given: str | Path | None = None) -> Path | None:
    """The scene file to use, normalised (not made absolute), or None when there is none.

    Precedence:

    1. ``given`` — typed by a person (``--scene``, ``stage scene PATH``) or carried in the live state — wins over
       the config's ``scene:``. An absolute path is used as is. A relative one is looked up in the **working
       directory** first (where the person typed it) and **beside the config file** when it is not there; when it
       exists in neither, the working-directory path is returned so the error names what was typed.
    2. Else the config's ``scene:``, relative to the **config file** (a path written in a file is relative to that
       file; the working directory does not matter).
    3. Else None.
    """
    if given is not None and str(given) != "":
        path = Path(given)
        if path.is_absolute() or path.exists():
            return Path(os.path.normpath(path))
        beside = Path(config_file).parent / path
        return Path(os.path.normpath(beside if beside.exists() else path))
    if config_scene:
        return Path(os.path.normpath(Path(config_file).parent / config_scene))
    return None
