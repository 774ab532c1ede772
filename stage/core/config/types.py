"""Reusable constrained types and the strict base model shared by every config and wire model."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


class StrictModel(BaseModel):
    """Base for config models: unknown keys are errors, assignments are validated, field
    docstrings become the documentation (``docs/config.md`` is generated from them)."""

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        use_attribute_docstrings=True,
        frozen=False,
    )


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Finite = Annotated[float, AfterValidator(_finite)]
"""A finite float (no NaN, no infinity)."""

PositiveFloat = Annotated[Finite, Field(gt=0.0)]
NonNegativeFloat = Annotated[Finite, Field(ge=0.0)]
UnitFloat = Annotated[Finite, Field(ge=0.0, le=1.0)]
"""A float in [0, 1]."""
Percent = Annotated[Finite, Field(ge=0.0, le=100.0)]

Vec2 = tuple[Finite, Finite]
Vec3 = tuple[Finite, Finite, Finite]
"""Three finite floats, e.g. a stage position ``[x, y, z]`` in metres."""

ColorRGB = tuple[UnitFloat, UnitFloat, UnitFloat]
"""Scene-linear RGB, each channel in [0, 1]."""

MAX_SIDE_PX = 32768
"""Largest image side in pixels anywhere in a config (walls, outputs)."""
PixelSize = tuple[Annotated[int, Field(ge=1, le=MAX_SIDE_PX)], Annotated[int, Field(ge=1, le=MAX_SIDE_PX)]]
"""``[width, height]`` in pixels."""

Port = Annotated[int, Field(ge=1, le=65535)]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
"""An identifier: letters, digits, ``_ . -``; used in OSC addresses and file names."""
