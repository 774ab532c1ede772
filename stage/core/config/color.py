"""Output colour: the stage's optional OpenColorIO config, and per wall either the built-in chain (transfer
function, gamut, PQ peak luminance) or an OCIO display/view/look, plus an optional calibration 3D LUT.

The pipeline and the order of operations are in ``docs/color.md``. The defaults (no OCIO config; sRGB, Rec.709, no
LUT) are the renderer's historic output.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from stage.core.config.types import Finite, StrictModel

PeakNits = Annotated[Finite, Field(gt=0.0, le=10000.0)]
"""Luminance in cd/m² (nits), up to the PQ maximum of 10 000."""
OcioName = Annotated[str, Field(min_length=1, max_length=1024)]
"""A name in an OCIO config (colour space, role, display, view, look) or a config reference."""


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
    display: OcioName | None = None
    """OCIO display of this wall (needs ``color.ocio_config``); ``null``: the config's default display."""
    view: OcioName | None = None
    """OCIO view of the display; ``null``: the display's default view."""
    look: OcioName | None = None
    """OCIO look(s) applied in the working space before the view (``look1, +look2``); ``null``: none."""


BUILTIN_CHAIN_FIELDS = ("transfer", "gamut", "peak_nits")
"""Fields of :class:`WallColor` that only the built-in chain uses; with an OCIO config the display/view decide."""
OCIO_FIELDS = ("display", "view", "look")
"""Fields of :class:`WallColor` that only an OCIO config uses."""


class ColorManagement(StrictModel):
    """Stage-wide colour management: an OpenColorIO config and the colour space the renderer works in."""

    ocio_config: OcioName | None = None
    """OCIO config: a ``config.ocio`` path relative to this file, or a built-in config such as
    ``ocio://studio-config-latest``; ``null``: the built-in chain (``walls[].color.transfer``/``gamut``)."""
    working_space: OcioName | None = None
    """Colour space (or role) of the renderer's scene-linear image, light cards and key colour; ``null``: the
    config's ``scene_linear`` role. Scene textures are converted into it from the colour space they declare."""
