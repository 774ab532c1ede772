"""Per-wall output colour: transfer function, gamut, PQ peak luminance and an optional calibration 3D LUT.

The pipeline and the order of operations are in ``docs/color.md``. The defaults (sRGB, Rec.709, no LUT) are the
renderer's historic output.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from stage.config.types import Finite, StrictModel

PeakNits = Annotated[Finite, Field(gt=0.0, le=10000.0)]
"""Luminance in cd/m² (nits), up to the PQ maximum of 10 000."""


class WallColor(StrictModel):
    """How a wall's scene-linear image is encoded for its LED processor."""

    transfer: Literal["srgb", "bt1886", "pq", "linear"] = "srgb"
    """Output transfer function: ``srgb`` (IEC 61966-2-1), ``bt1886`` (pure gamma 2.4), ``pq`` (SMPTE ST 2084,
    16-bit output) or ``linear`` (no encoding)."""
    gamut: Literal["rec709", "p3d65", "rec2020"] = "rec709"
    """Output primaries (all D65); scene colour is Rec.709 and is converted by a 3×3 matrix."""
    peak_nits: PeakNits = 1000.0
    """PQ only: the wall's peak luminance, cd/m²; scene-linear 1.0 is 100 nits and light above the peak clips."""
    lut: str | None = None
    """Calibration 3D LUT in ``.cube`` format, applied last (to the encoded signal); relative paths are resolved
    against the config file's folder when the config is loaded."""
    lut_interpolation: Literal["trilinear", "tetrahedral"] = "tetrahedral"
    """How the LUT is interpolated between its lattice points."""
