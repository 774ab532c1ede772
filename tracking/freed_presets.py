"""Vendor presets for reading FreeD D1: UDP port, axis mapping, and how zoom/focus/spare are read.

Each preset is a frozen dataclass (a subclass of :class:`FreeDPreset` whose defaults are that vendor's
settings); its docstring names the source and says what could not be confirmed. Encoder ranges are
normalised to [0, 1] in OpenTrackIO's directions (focus 0 = infinity .. 1 = closest, iris 0 = open
.. 1 = closed, zoom 0 = wide .. 1 = tele) where the direction is known.

Main cross-vendor source: the Epic Games Unreal Engine "Live Link FreeD" plugin
(``LiveLinkFreeDSource.cpp``, its per-manufacturer ``EFreeDDefaultConfigs``: Generic, Panasonic, Sony,
stYpe, Mo-Sys, Ncam), whose documented default UDP port is 40000. No vendor document read for this
module gives a vendor-specific axis remap, so every preset keeps FreeD's X, Y, Z as stage x, y, z.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_FREED_PORT = 40000
"""Default receive port of Unreal's Live Link FreeD source; no vendor here documents a different default."""


@dataclass(frozen=True, slots=True)
class EncoderRange:
    """Linear normalisation of a raw encoder field: ``(raw & mask − lo) / (hi − lo)``, clamped to [0, 1].

    ``invert`` flips the result (1 − x) where the vendor counts the other way from OpenTrackIO.
    """

    lo: int
    hi: int
    mask: int = 0xFFFFFF
    invert: bool = False

    def __post_init__(self) -> None:
        if self.hi == self.lo:
            raise ValueError("encoder range hi must differ from lo")

    def normalise(self, raw: int) -> float:
        """Raw count → [0, 1]."""
        x = ((raw & self.mask) - self.lo) / (self.hi - self.lo)
        x = 0.0 if x < 0.0 else 1.0 if x > 1.0 else x
        return 1.0 - x if self.invert else x


@dataclass(frozen=True, slots=True)
class LensReading:
    """What a preset reads from the zoom, focus and spare fields (None = not carried)."""

    zoom_encoder: float | None = None
    focus_encoder: float | None = None
    iris_encoder: float | None = None
    focal_length_mm: float | None = None
    focus_m: float | None = None
    fstop: float | None = None
    sequence: int | None = None


@dataclass(frozen=True)
class FreeDPreset:
    """Generic FreeD: 24-bit zoom/focus counts normalised over their full range, spare unused.

    Source: Vinten "free-d" manual v1.4.4, Appendix A/B (message D1); port = Unreal Live Link FreeD default.

    Attributes:
        name: preset key.
        default_port: UDP port the vendor sends to by default (see each docstring for confidence).
        axis_map: for stage (x, y, z), the index into FreeD (X, Y, Z) to read.
        axis_sign: sign applied to each stage axis after remapping.
        pan_sign: stage pan = pan_sign × FreeD pan (FreeD positive pan = right, stage = left).
        zoom, focus: encoder normalisation of the zoom/focus fields, or None.
        iris: encoder normalisation of the 16-bit spare field as iris, or None.
        zoom_mm_per_count: if set, focal length in mm = zoom count × this.
        focus_m_per_count: if set, focus distance in m = focus count × this.
        fstop_per_count: if set, f-number = (spare & fstop_mask) × this.
        fstop_mask: bits of the spare field holding the f-number.
        spare_sequence_shift: if set, sequence = spare >> this (bits above hold a frame counter).
    """

    name: str = "generic"
    default_port: int = DEFAULT_FREED_PORT
    axis_map: tuple[int, int, int] = (0, 1, 2)
    axis_sign: tuple[float, float, float] = (1.0, 1.0, 1.0)
    pan_sign: float = -1.0
    zoom: EncoderRange | None = EncoderRange(0, 0xFFFFFF)
    focus: EncoderRange | None = EncoderRange(0, 0xFFFFFF)
    iris: EncoderRange | None = None
    zoom_mm_per_count: float | None = None
    focus_m_per_count: float | None = None
    fstop_per_count: float | None = None
    fstop_mask: int = 0xFFFF
    spare_sequence_shift: int | None = None

    def read_lens(self, zoom: int, focus: int, spare: int) -> LensReading:
        """Interpret the raw zoom (u24), focus (u24) and spare (u16) fields."""
        focal = zoom * self.zoom_mm_per_count if self.zoom_mm_per_count is not None else None
        focus_m = focus * self.focus_m_per_count if self.focus_m_per_count is not None else None
        fstop = (spare & self.fstop_mask) * self.fstop_per_count if self.fstop_per_count is not None else None
        return LensReading(
            zoom_encoder=self.zoom.normalise(zoom) if self.zoom is not None else None,
            focus_encoder=self.focus.normalise(focus) if self.focus is not None else None,
            iris_encoder=self.iris.normalise(spare) if self.iris is not None else None,
            focal_length_mm=focal if focal else None,  # 0 means "not reported"
            focus_m=focus_m if focus_m else None,
            fstop=fstop if fstop else None,
            sequence=spare >> self.spare_sequence_shift if self.spare_sequence_shift is not None else None,
        )


GenericPreset = FreeDPreset


@dataclass(frozen=True)
class SonyPreset(FreeDPreset):
    """Sony PTZ cameras (BRC-AM7, ILME-FR7, BRC-X1000 class).

    Source: Unreal Live Link FreeD ``Sony`` default config: zoom counts 0..0x7AC0 (16-bit mask), focus
    0x1000..0xF000 (16-bit mask), spare read as iris 0..0xFFF (low 12 bits). Sony's own document is
    "BRC-AM7 free-d Integration Manual" (5-065-330-11); only its table of contents could be read here,
    so the iris bit layout, the iris/focus count directions and the default port are NOT confirmed
    from Sony's text (directions are left as raw, not inverted; port is the Unreal default).
    """

    name: str = "sony"
    zoom: EncoderRange | None = EncoderRange(0, 0x7AC0, mask=0xFFFF)
    focus: EncoderRange | None = EncoderRange(0x1000, 0xF000, mask=0xFFFF)
    iris: EncoderRange | None = EncoderRange(0, 0x0FFF, mask=0x0FFF)


@dataclass(frozen=True)
class PanasonicPreset(FreeDPreset):
    """Panasonic AW-UE150 / AW-UE100 / AW-UE80 PTZ cameras.

    Source: Panasonic AW-UE100 / AW-UE80 Operating Instructions, "Tracking data output": camera id
    always 0xFF, X/Y/Z always 0, roll 0° or 180° (flip), tilt up to +210°, zoom stored between 0x555
    (WIDE) and 0xFFF (TELE). Focus and iris use the same 0x555..0xFFF scale as the Panasonic "HD
    Integrated Camera Interface Specifications" (focus 555h = near .. FFFh = far; iris 555h = close ..
    FFFh = open), hence both are inverted to OpenTrackIO's direction. That the spare field carries iris
    comes from the Unreal Live Link FreeD ``Panasonic`` config (which also inverts it); the manual
    excerpt read did not cover the spare field. Default port not confirmed (Unreal default used).
    """

    name: str = "panasonic"
    zoom: EncoderRange | None = EncoderRange(0x555, 0xFFF, mask=0xFFFF)
    focus: EncoderRange | None = EncoderRange(0x555, 0xFFF, mask=0xFFFF, invert=True)
    iris: EncoderRange | None = EncoderRange(0x555, 0xFFF, mask=0xFFFF, invert=True)


@dataclass(frozen=True)
class StypePreset(FreeDPreset):
    """stYpe (RedSpy / StypeLand FreeD output).

    Source: Unreal Live Link FreeD ``stYpe`` config: full 24-bit zoom and focus, spare unused. No
    stYpe document was available here: their FreeD variant, axis conventions and port are NOT confirmed.
    """

    name: str = "stype"


@dataclass(frozen=True)
class MosysPreset(FreeDPreset):
    """Mo-Sys (StarTracker FreeD output).

    Source: Unreal Live Link FreeD ``Mosys`` config: zoom and focus 0..0xFFFF (16-bit mask), spare
    unused. No Mo-Sys document was available here: axis conventions and port are NOT confirmed.
    """

    name: str = "mosys"
    zoom: EncoderRange | None = EncoderRange(0, 0xFFFF, mask=0xFFFF)
    focus: EncoderRange | None = EncoderRange(0, 0xFFFF, mask=0xFFFF)


@dataclass(frozen=True)
class NcamPreset(FreeDPreset):
    """Ncam (FreeD output of the Ncam Reality server).

    Source: Unreal Live Link FreeD ``Ncam`` config: full 24-bit zoom and focus, spare unused. No Ncam
    document was available here: axis conventions and port are NOT confirmed.
    """

    name: str = "ncam"


@dataclass(frozen=True)
class ZcamPreset(FreeDPreset):
    """Z CAM PTZ cameras (e.g. P2-R1).

    Source: Z CAM "Free-D Protocol" doc (imaginevision/Z-Camera-Doc, ``E2/protocol/freed/freed.md``):
    zoom field = real focal length in mm × 100 (950 = 9.50 mm); focus field = focus distance in mm × 10
    (12300 = 1230.0 mm); spare bits 0..11 = f-number × 100 (F2.8 = 280), bits 12..15 = frame sequence
    mod 16; roll, X, Y, Z always 0; pan ±175°, tilt −30..+90°. The doc's example status shows port 5001
    but does not call it a default; the Unreal default is used. Normalised encoders are not reported.
    """

    name: str = "zcam"
    zoom: EncoderRange | None = None
    focus: EncoderRange | None = None
    zoom_mm_per_count: float | None = 0.01
    focus_m_per_count: float | None = 0.0001
    fstop_per_count: float | None = 0.01
    fstop_mask: int = 0x0FFF
    spare_sequence_shift: int | None = 12


GENERIC = FreeDPreset()
PRESETS: dict[str, FreeDPreset] = {
    p.name: p
    for p in (GENERIC, SonyPreset(), PanasonicPreset(), StypePreset(), MosysPreset(), NcamPreset(), ZcamPreset())
}
"""All presets by name: generic, sony, panasonic, stype, mosys, ncam, zcam."""


def get_preset(name: str) -> FreeDPreset:
    """Look up a preset by name (case-insensitive); raises KeyError listing the known names."""
    try:
        return PRESETS[name.lower()]
    except KeyError:
        raise KeyError(f"unknown FreeD preset {name!r}; known: {', '.join(sorted(PRESETS))}") from None
