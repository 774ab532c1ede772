"""A wall's output signal as an sRGB monitor shows it (display-referred), on the CPU: the same OCIO processor the
GL previews compile in (:func:`stage.core.color.ocio.ocio_preview_processor` for an OCIO display,
:func:`stage.core.color.ocio.builtin_preview_processor` for the built-in chain), run by OCIO's CPU processor.

``stage demo``'s contact sheet shows each wall's output this way, so a PQ/Rec.2020 wall looks like what it shows,
not like its raw signal.
"""

from __future__ import annotations

import numpy as np

from stage.core.color.ocio import DisplayView, apply_cpu, builtin_preview_processor, ocio_preview_processor
from stage.core.config.color import ColorManagement, WallColor


def wall_preview_processor(color: WallColor, management: ColorManagement | None, selection: DisplayView):
    """The preview processor of one wall (its OCIO display/view ``selection`` when the stage has an OCIO config,
    else its built-in transfer/gamut); ``None`` when the signal already is sRGB (or is data)."""
    if management is not None and management.ocio_config is not None:
        return ocio_preview_processor(management.ocio_config, selection)
    return builtin_preview_processor(color.transfer, color.gamut)


def signal_to_srgb(signal: np.ndarray, processor) -> np.ndarray:
    """``H × W × 3`` code values in ``[0, 1]`` → the float sRGB code values a monitor would show (unchanged when
    ``processor`` is ``None``)."""
    signal = np.asarray(signal, dtype=np.float64)
    return signal if processor is None else np.clip(apply_cpu(processor, signal), 0.0, 1.0)
