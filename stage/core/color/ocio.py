"""OpenColorIO colour management: configs, name checks, the display processor of a wall, and its CPU reference.

PyOpenColorIO does the colour science; this module only chooses what to ask it. A wall's output transform under an
OCIO config is, in OCIO's own terms (``OpenColorIO`` ``src/OpenColorIO/transforms/DisplayViewTransform.cpp``,
``LookTransform.cpp``, ``FileTransform.cpp``)::

    GroupTransform([LookTransform(working → working, look)]           # optional look
                   + [DisplayViewTransform(working, display, view)]   # the view's own looks included
                   + [FileTransform(calibration .cube)])              # optional, on the display signal

The renderer compiles its GPU processor into the wall shader (:mod:`stage.core.color.ocio_gpu` extracts the GLSL and
LUT tables); tests use the CPU processor (:func:`apply_cpu`) as the reference. Without an OCIO config the built-in
chain of ``docs/color.md`` is used; a stage has exactly one of the two per wall.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

BUILTIN_PREFIX = "ocio://"
"""OCIO's built-in configs (``ocio://studio-config-latest``, ``ocio://cg-config-latest``, ``ocio://default``)."""
HIGH_BIT_DEPTH_ENCODINGS = frozenset({"hdr-video"})
"""OCIO colour-space encodings whose signal needs more than 8 bits (PQ, HLG)."""
HIGH_BIT_DEPTH_WORDS = ("PQ", "ST2084", "ST-2084", "HLG", "2100")
"""Fallback for configs without ``encoding:``: a display or colour-space name containing one of these."""


class OcioError(ValueError):
    """A config that cannot be loaded, or a name it does not define; ``str()`` is one line."""


def _ocio():
    import PyOpenColorIO

    return PyOpenColorIO


def resolve_config_ref(ref: str, base_dir: Path | None = None) -> str:
    """An ``ocio://`` URI unchanged, or a file path made absolute against ``base_dir`` (the stage config's folder)."""
    if ref.startswith(BUILTIN_PREFIX):
        return ref
    path = Path(ref)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return os.path.abspath(path)


@functools.lru_cache(maxsize=16)
def load_config(ref: str):
    """The OCIO config at ``ref`` (absolute path or ``ocio://`` URI), loaded once; :class:`OcioError` if it cannot
    be loaded."""
    ocio = _ocio()
    try:
        config = ocio.Config.CreateFromFile(ref)
        config.validate()
    except (ocio.Exception, ocio.ExceptionMissingFile) as exc:
        raise OcioError(f"cannot load OCIO config {ref}: {_one_line(exc)}") from None
    return config


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _choices(names) -> str:
    names = list(names)
    return ", ".join(repr(n) for n in names) if names else "none defined"


@dataclass(frozen=True)
class DisplayView:
    """What one wall shows: an OCIO display, a view of it and an optional look (``None``: the config's default
    display / the display's default view / no look)."""

    display: str | None = None
    view: str | None = None
    look: str | None = None


def resolve_display_view(config, selection: DisplayView) -> DisplayView:
    """``selection`` with the config's defaults filled in (the names are not checked: :func:`check_names`)."""
    display = selection.display or config.getDefaultDisplay()
    view = selection.view or config.getDefaultView(display)
    return DisplayView(display, view, selection.look or None)


def check_working_space(config, working_space: str | None) -> str | None:
    """Why ``working_space`` is not a colour space (or role) of ``config``, with the valid choices; ``None`` if it
    is."""
    if working_space is None:
        return None if config.getColorSpace("scene_linear") is not None else (
            "the OCIO config has no scene_linear role; set color.working_space")
    if config.getColorSpace(working_space) is None:
        return f"unknown colour space {working_space!r} (colour spaces: {_choices(config.getColorSpaceNames())})"
    return None


def check_colorspace(config, name: str) -> str | None:
    """Why ``name`` is not a colour space or role of ``config`` (with the choices), or ``None``."""
    if config.getColorSpace(name) is None:
        return f"unknown colour space {name!r} (colour spaces: {_choices(config.getColorSpaceNames())})"
    return None


def check_names(config, selection: DisplayView) -> dict[str, str]:
    """Problems of a display/view/look selection, by field (``display``, ``view``, ``look``), each naming the valid
    choices; empty when every name exists."""
    problems: dict[str, str] = {}
    displays = list(config.getDisplays())
    display = selection.display or config.getDefaultDisplay()
    if display not in displays:
        problems["display"] = f"unknown display {display!r} (displays: {_choices(displays)})"
    else:
        views = list(config.getViews(display))
        if selection.view is not None and selection.view not in views:
            problems["view"] = f"display {display!r} has no view {selection.view!r} (views: {_choices(views)})"
    if selection.look:
        looks = list(config.getLookNames())
        for look in _look_names(selection.look):
            if look not in looks:
                problems["look"] = f"unknown look {look!r} (looks: {_choices(looks)})"
                break
    return problems


def _look_names(looks: str) -> list[str]:
    """OCIO look strings are comma/colon separated, each optionally prefixed ``+``/``-``."""
    return [part.strip().lstrip("+-") for part in looks.replace(":", ",").split(",") if part.strip()]


def display_transform(config, working_space: str | None, selection: DisplayView, lut_path: str | None = None,
                      lut_interpolation: str = "tetrahedral"):
    """The OCIO transform of one wall: look (optional), display/view, calibration LUT (optional)."""
    ocio = _ocio()
    src = working_space or "scene_linear"
    dv = resolve_display_view(config, selection)
    group = ocio.GroupTransform()
    if dv.look:
        group.appendTransform(ocio.LookTransform(src=src, dst=src, looks=dv.look))
    group.appendTransform(ocio.DisplayViewTransform(src=src, display=dv.display, view=dv.view))
    if lut_path is not None:
        interpolation = {"tetrahedral": ocio.INTERP_TETRAHEDRAL, "trilinear": ocio.INTERP_LINEAR}[lut_interpolation]
        group.appendTransform(ocio.FileTransform(src=lut_path, interpolation=interpolation))
    return group


@functools.lru_cache(maxsize=256)
def display_processor(config_ref: str, working_space: str | None, selection: DisplayView,
                      lut_path: str | None = None, lut_interpolation: str = "tetrahedral"):
    """The OCIO processor of one wall (cached); :class:`OcioError` naming what is missing."""
    ocio = _ocio()
    config = load_config(config_ref)
    problems = check_names(config, selection)
    bad_space = check_working_space(config, working_space)
    if bad_space:
        problems["working_space"] = bad_space
    if problems:
        raise OcioError("; ".join(problems.values()))
    try:
        return config.getProcessor(display_transform(config, working_space, selection, lut_path, lut_interpolation))
    except (ocio.Exception, ocio.ExceptionMissingFile) as exc:
        raise OcioError(_one_line(exc)) from None


@functools.lru_cache(maxsize=64)
def look_processor(config_ref: str, working_space: str | None, look: str):
    """An OCIO look applied in the working space (working → working), e.g. to one camera's inner frustum."""
    ocio = _ocio()
    config = load_config(config_ref)
    src = working_space or "scene_linear"
    try:
        return config.getProcessor(ocio.LookTransform(src=src, dst=src, looks=look))
    except (ocio.Exception, ocio.ExceptionMissingFile) as exc:
        raise OcioError(_one_line(exc)) from None


@functools.lru_cache(maxsize=1024)
def to_working(config_ref: str, working_space: str | None, color_space: str,
               rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    """One colour given in ``color_space`` (a light card's), in the working space (OCIO's CPU processor)."""
    ocio = _ocio()
    config = load_config(config_ref)
    try:
        processor = config.getProcessor(color_space, working_space or "scene_linear")
    except (ocio.Exception, ocio.ExceptionMissingFile) as exc:
        raise OcioError(_one_line(exc)) from None
    return tuple(float(v) for v in apply_cpu(processor, np.asarray(rgb, dtype=float)))


def apply_cpu(processor, rgb: np.ndarray) -> np.ndarray:
    """OCIO's CPU processor on an ``(..., 3)`` array (float32 arithmetic, OCIO's reference), as float64."""
    pixels = np.ascontiguousarray(np.asarray(rgb, dtype=np.float32).reshape(-1, 3))
    processor.getDefaultCPUProcessor().applyRGB(pixels)
    return pixels.reshape(np.shape(rgb)).astype(np.float64)


def display_colorspace(config, selection: DisplayView) -> tuple[str, DisplayView]:
    """The colour space of a display/view's signal (``<USE_DISPLAY_NAME>``: the display's own), and the
    selection with defaults resolved."""
    dv = resolve_display_view(config, selection)
    name = config.getDisplayViewColorSpaceName(dv.display, dv.view)
    return (dv.display if name in ("", "<USE_DISPLAY_NAME>") else name), dv


@functools.lru_cache(maxsize=256)
def is_high_bit_depth(config_ref: str, selection: DisplayView) -> bool:
    """True when the display/view's signal is HDR (PQ, HLG): rendered into a float target, written as 16-bit PNG,
    sent on a 10-bit output. Cached (configs are loaded once): render nodes ask on every live-state change."""
    config = load_config(config_ref)
    name, dv = display_colorspace(config, selection)
    space = config.getColorSpace(name)
    encoding = space.getEncoding() if space is not None else ""
    if encoding:
        return encoding in HIGH_BIT_DEPTH_ENCODINGS
    return any(word in f"{dv.display} {name}" for word in HIGH_BIT_DEPTH_WORDS)


REC709_LINEAR_NAMES = ("lin_rec709", "Linear Rec.709 (sRGB)", "lin_srgb", "Utility - Linear - sRGB")
"""Names (or aliases) of scene-linear Rec.709 in the ACES/OCIO configs, tried in order."""


@functools.lru_cache(maxsize=64)
def working_from_rec709(config_ref: str, working_space: str | None) -> np.ndarray | None:
    """The 3×3 matrix from linear Rec.709 to the working space (column vectors), found by OCIO's CPU processor on
    the unit vectors; ``None`` if the config has no linear Rec.709 colour space (:data:`REC709_LINEAR_NAMES`) or the
    conversion is not linear. White balance (defined in linear Rec.709) is conjugated into the working space."""
    config = load_config(config_ref)
    ocio = _ocio()
    for name in REC709_LINEAR_NAMES:
        if config.getColorSpace(name) is None:
            continue
        try:
            processor = config.getProcessor(name, working_space or "scene_linear")
        except ocio.Exception:
            return None
        rows = apply_cpu(processor, np.eye(3))  # row i = the working-space value of Rec.709 primary i
        probe = np.array([0.25, 0.5, 0.75])
        if not np.allclose(apply_cpu(processor, probe), probe @ rows, atol=1e-5):
            return None
        return rows.T
    return None


# ---- previews: every wall's signal as an sRGB display would show it -------------------------------------------

SRGB_PREVIEW_IDENTITY = ("srgb", "rec709")
"""Built-in (transfer, gamut) whose signal already is sRGB: previews show it unchanged."""


def _to_srgb_display(ocio):
    """Display-linear CIE XYZ (D65) → clipped sRGB code values."""
    from stage.core.color.gamut import gamut_by_name, xyz_to_rgb_matrix

    m = xyz_to_rgb_matrix(gamut_by_name("rec709"))
    return [ocio.MatrixTransform(_matrix44(m)),
            ocio.RangeTransform(minInValue=0.0, maxInValue=1.0, minOutValue=0.0, maxOutValue=1.0),
            ocio.ExponentWithLinearTransform(gamma=[2.4] * 3 + [1.0], offset=[0.055] * 3 + [0.0],
                                             direction=ocio.TRANSFORM_DIR_INVERSE)]


def _matrix44(m: np.ndarray) -> list[float]:
    out = np.eye(4)
    out[:3, :3] = m
    return [float(v) for v in out.ravel()]


@functools.lru_cache(maxsize=64)
def ocio_preview_processor(config_ref: str, selection: DisplayView):
    """The processor that shows a wall's OCIO display signal on an sRGB monitor: the display colour space → the
    config's display-referred ``cie_xyz_d65_interchange`` → sRGB (HDR clips at the SDR white). ``None`` when the
    config has no such role or the view outputs data (``Raw``)."""
    ocio = _ocio()
    config = load_config(config_ref)
    name, _ = display_colorspace(config, selection)
    space = config.getColorSpace(name)
    if space is None or space.isData() or config.getColorSpace("cie_xyz_d65_interchange") is None:
        return None
    group = ocio.GroupTransform()
    group.appendTransform(ocio.ColorSpaceTransform(src=name, dst="cie_xyz_d65_interchange"))
    for transform in _to_srgb_display(ocio):
        group.appendTransform(transform)
    try:
        return config.getProcessor(group)
    except ocio.Exception:
        return None


@functools.lru_cache(maxsize=64)
def builtin_preview_processor(transfer: str, gamut: str):
    """The same for the built-in chain, expressed through OCIO: decode the transfer (PQ: 1.0 = 100 nits, OCIO's
    ``CURVE - ST-2084_to_LINEAR``), the wall's primaries → Rec.709, clip, sRGB. ``None`` for sRGB/Rec.709 walls."""
    if (transfer, gamut) == SRGB_PREVIEW_IDENTITY:
        return None
    from stage.core.color.gamut import conversion_matrix

    ocio = _ocio()
    group = ocio.GroupTransform()
    if transfer == "srgb":
        group.appendTransform(ocio.ExponentWithLinearTransform(gamma=[2.4] * 3 + [1.0], offset=[0.055] * 3 + [0.0]))
    elif transfer == "bt1886":
        group.appendTransform(ocio.ExponentTransform(value=[2.4, 2.4, 2.4, 1.0]))
    elif transfer == "pq":
        group.appendTransform(ocio.BuiltinTransform("CURVE - ST-2084_to_LINEAR"))
    group.appendTransform(ocio.MatrixTransform(_matrix44(conversion_matrix(gamut, "rec709"))))
    for transform in _to_srgb_display(ocio)[1:]:
        group.appendTransform(transform)
    return ocio.Config.CreateRaw().getProcessor(group)
