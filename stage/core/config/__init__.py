"""Stage and scene configuration: pydantic models, loading, validation.

Import the pieces you need, e.g. ``from stage.core.config import load_stage_config``.
"""

from stage.core.config.errors import ConfigError, Problem
from stage.core.config.loader import load_scene_config, load_stage_config
from stage.core.config.scene import SceneConfig
from stage.core.config.stage import StageConfig

__all__ = [
    "ConfigError",
    "Problem",
    "SceneConfig",
    "StageConfig",
    "load_scene_config",
    "load_stage_config",
]
