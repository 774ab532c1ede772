"""Stage and scene configuration: pydantic models, loading, validation.

Import the pieces you need, e.g. ``from stage.config import load_stage_config``.
"""

from stage.config.errors import ConfigError, Problem
from stage.config.loader import load_scene_config, load_stage_config
from stage.config.scene import SceneConfig
from stage.config.stage import StageConfig

__all__ = [
    "ConfigError",
    "Problem",
    "SceneConfig",
    "StageConfig",
    "load_scene_config",
    "load_stage_config",
]
