"""Colour spaces of scene textures and panoramas, and their conversion into the renderer's working space.

A texture or panorama declares the colour space its file is encoded in (``color_space``; default by file type:
sRGB-encoded Rec.709 for PNG/JPEG, scene-linear Rec.709 for OpenEXR — the renderer's historic behaviour). When the
stage has an OCIO config, each declared space is converted to the stage's working space by OCIO's CPU processor
(``Config.getProcessor(src, dst)``, as ``OpenColorIO`` ``src/OpenColorIO/Config.cpp`` defines it) when the scene
is loaded, off the frame loop. Without an OCIO config only the two built-in spaces exist.

Where the conversion is exactly what the GPU already does (an 8-bit sRGB texture sampled through ``SRGB8_ALPHA8``
or a float EXR, in a linear Rec.709 working space) the image stays as it is, so the default path is unchanged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stage.core.color.ocio import OcioError, apply_cpu, load_config, working_from_rec709
from stage.core.color.transfer import srgb_decode

SRGB_REC709 = "sRGB Encoded Rec.709 (sRGB)"
"""Built-in space of PNG/JPEG files (the ACES studio config's name; aliases ``srgb_tx``, ``srgb_texture``)."""
LINEAR_REC709 = "Linear Rec.709 (sRGB)"
"""Built-in space of OpenEXR files (the ACES studio config's name; aliases ``lin_rec709``, ``lin_srgb``)."""
BUILTIN_SPACES: dict[str, str] = {
    SRGB_REC709: "srgb", "srgb_tx": "srgb", "srgb_texture": "srgb",
    LINEAR_REC709: "linear", "lin_rec709": "linear", "lin_srgb": "linear",
}
"""Names usable without an OCIO config → ``srgb`` (sRGB-encoded Rec.709) or ``linear`` (scene-linear Rec.709)."""
LINEAR_SUFFIXES = (".exr",)
"""Files decoded as scene-linear float."""


def default_space(path: str | Path) -> str:
    """The colour space a file is taken to be in when it declares none."""
    return LINEAR_REC709 if Path(path).suffix.lower() in LINEAR_SUFFIXES else SRGB_REC709


def check_texture_space(name: str, ocio_config: str | None) -> str | None:
    """Why ``name`` cannot be used (with the valid choices), or ``None``: a colour space of the OCIO config, or
    without one a built-in name."""
    if ocio_config is None:
        if name in BUILTIN_SPACES:
            return None
        return (f"unknown colour space {name!r} without color.ocio_config (built-in: "
                f"{', '.join(repr(n) for n in BUILTIN_SPACES)})")
    config = load_config(ocio_config)
    if config.getColorSpace(name) is not None:
        return None
    return f"unknown colour space {name!r} (colour spaces: {', '.join(repr(n) for n in config.getColorSpaceNames())})"


def _native(image: np.ndarray) -> str:
    """What the GPU does with this image on its own: ``srgb`` (uint8 → ``SRGB8_ALPHA8``) or ``linear`` (float)."""
    return "linear" if image.dtype == np.float32 else "srgb"


def _rgb(image: np.ndarray) -> np.ndarray:
    rgb = image[..., :3].astype(np.float64)
    return rgb / 255.0 if image.dtype == np.uint8 else rgb


def _rgba(rgb: np.ndarray, image: np.ndarray) -> np.ndarray:
    alpha = image[..., 3:4].astype(np.float32) / (255.0 if image.dtype == np.uint8 else 1.0)
    return np.concatenate([rgb.astype(np.float32), alpha], axis=-1)


def to_working(image: np.ndarray, path: str | Path, declared: str | None, ocio_config: str | None,
               working_space: str | None) -> np.ndarray:
    """``image`` (``H × W × 4``: uint8 as decoded from PNG/JPEG, or float32 from EXR) ready for the GPU in the
    working space: unchanged where the GPU's own decoding is right, else float32 scene-linear RGBA (uploaded as
    ``RGBA16F``). :class:`OcioError` for a name the config (or the built-in set) does not have."""
    name = declared or default_space(path)
    if ocio_config is None:
        kind = BUILTIN_SPACES.get(name)
        if kind is None:
            raise OcioError(check_texture_space(name, None))
        if kind == _native(image):
            return image
        rgb = _rgb(image)
        return _rgba(srgb_decode(np.clip(rgb, 0.0, 1.0)) if kind == "srgb" else rgb, image)
    config = load_config(ocio_config)
    space = config.getColorSpace(name)
    if space is None:
        if declared is None:
            return image  # a config without the built-in names: the file is taken as the working space, as before
        raise OcioError(check_texture_space(name, ocio_config))
    native = config.getColorSpace(SRGB_REC709 if _native(image) == "srgb" else LINEAR_REC709)
    to_work = working_from_rec709(ocio_config, working_space)
    if (native is not None and native.getName() == space.getName() and to_work is not None
            and np.allclose(to_work, np.eye(3), atol=1e-6)):
        return image  # the GPU's decoding already lands in the (linear Rec.709) working space
    try:
        processor = config.getProcessor(space.getName(), working_space or "scene_linear")
    except Exception as exc:  # noqa: BLE001 - PyOpenColorIO.Exception, one line
        raise OcioError(" ".join(str(exc).split())) from None
    return _rgba(apply_cpu(processor, _rgb(image)), image)  # uint8: code values / 255
