"""Vendor presets for reading FreeD D1: UDP port, axis mapping, and how zoom/focus/spare are read.

Each preset is a frozen dataclass (a subclass of :class:`FreeDPreset` whose defaults are that vendor's
settings); its docstring names the source and says what could not be confirmed. Encoder ranges are
normalised to [0, 1] in OpenTrackIO's directions (focus 0 = infinity .. 1 = closest, iris 0 = open
.. 1 = closed, zoom 0 = wide .. 1 = tele) where the direction is known.

Main cross-vendor source: the Epic Games Unreal Engine "Live Link FreeD" plugin as of UE 5.8, read in
``unicorn2022/UE5.8.0`` at
``Engine/Plugins/VirtualProduction/LiveLinkFreeD/Source/LiveLinkFreeD/Private/LiveLinkFreeDSource.cpp``:
its "Specific manufacturer default data" table (name, UDP port, zoom wide/tele, focus near/far, spare) and
``OnSettingsChanged``'s per-manufacturer ``FFreeDEncoderData{bIsValid, bInvertEncoder, bUseManualRange, Min,
Max, MaskBits}`` (field order from ``Public/LiveLinkFreeDSourceSettings.h``, read in
``chenyong2github/UnrealEngine``). Unreal's normalised focus runs 0 = near .. 1 = far (its Generic and
Panasonic rows), the opposite of OpenTrackIO's, so an Unreal ``bInvertEncoder`` on focus becomes *no*
inversion here and vice versa. No vendor document read for this module gives a vendor-specific axis remap,
so every preset keeps FreeD's X, Y, Z as stage x, y, z.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

DEFAULT_FREED_PORT = 40000
"""Default receive port of Unreal's Live Link FreeD source (its table's Generic and Sony rows)."""


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

    Source: Vinten "free-d" manual v1.4.4, Appendix A/B (message D1: zoom and focus are 24-bit fields); port
    40000 = Unreal Live Link FreeD's Generic row. Unreal's Generic config reads 16 bits (0..0xFFFF); we keep
    Vinten's 24-bit width. PTZ cameras sending "generic" FreeD often use a small part of it (e.g. zoom
    0..16384): give the source ``zoom_range``/``focus_range`` with that raw range (docs/tracking.md).

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

    def with_raw_ranges(
        self, zoom: tuple[int, int] | None = None, focus: tuple[int, int] | None = None
    ) -> FreeDPreset:
        """This preset with the zoom range ``(wide, tele)`` and/or focus range ``(infinity, closest)`` in raw
        counts replaced (the order gives the direction; the preset's bit mask is kept)."""
        out = self
        if zoom is not None:
            out = replace(out, zoom=_raw_range(zoom, self.zoom))
        if focus is not None:
            out = replace(out, focus=_raw_range(focus, self.focus))
        return out

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


def _raw_range(lo_hi: tuple[int, int], current: EncoderRange | None) -> EncoderRange:
    mask = current.mask if current is not None else 0xFFFFFF
    return EncoderRange(lo_hi[0], lo_hi[1], mask=mask)


GenericPreset = FreeDPreset


@dataclass(frozen=True)
class SonyPreset(FreeDPreset):
    """Sony PTZ cameras (BRC-AM7, ILME-FR7 class).

    Source: Unreal Live Link FreeD (UE 5.8) ``Sony`` row: port 40000; zoom 0 (wide) .. 0xFFFFFF (tele),
    24-bit mask; focus 0x7FFFFF (near) .. 0 (far), 24-bit mask, ``bInvertEncoder`` (Unreal's 0 = near), which
    in OpenTrackIO's direction is raw / 0x7FFFFF (far 0 → 0 = infinity, near 0x7FFFFF → 1 = closest); spare:
    lower 12 bits = F value × 100, upper 4 bits = frame number (the Z CAM layout). Older Unreal releases read
    Sony as 16-bit (zoom 0..0x7AC0, focus 0x1000..0xF000); that layout is not supported. Sony's own
    "BRC-AM7 free-d Integration Manual" (5-065-330-11) could not be read here beyond its contents page.
    """

    name: str = "sony"
    zoom: EncoderRange | None = EncoderRange(0, 0xFFFFFF)
    focus: EncoderRange | None = EncoderRange(0, 0x7FFFFF)
    fstop_per_count: float | None = 0.01
    fstop_mask: int = 0x0FFF
    spare_sequence_shift: int | None = 12


@dataclass(frozen=True)
class PanasonicPreset(FreeDPreset):
    """Panasonic AW-UE150 / AW-UE100 / AW-UE80 PTZ cameras.

    Source: Panasonic AW-UE100 / AW-UE80 Operating Instructions, "Tracking data output": camera id
    always 0xFF, X/Y/Z always 0, roll 0° or 180° (flip), tilt up to +210°, zoom stored between 0x555
    (WIDE) and 0xFFF (TELE). Focus and iris use the same 0x555..0xFFF scale as the Panasonic "HD
    Integrated Camera Interface Specifications" (focus 555h = near .. FFFh = far; iris 555h = close ..
    FFFh = open), hence both are inverted to OpenTrackIO's direction. That the spare field carries iris
    comes from the Unreal Live Link FreeD ``Panasonic`` row (iris 0x555 close .. 0xFFF open), as does the
    default port 1111; the manual excerpt read did not cover the spare field.
    """

    name: str = "panasonic"
    default_port: int = 1111
    zoom: EncoderRange | None = EncoderRange(0x555, 0xFFF, mask=0xFFFF)
    focus: EncoderRange | None = EncoderRange(0x555, 0xFFF, mask=0xFFFF, invert=True)
    iris: EncoderRange | None = EncoderRange(0x555, 0xFFF, mask=0xFFFF, invert=True)


@dataclass(frozen=True)
class StypePreset(FreeDPreset):
    """stYpe (RedSpy / StypeLand FreeD output).

    Source: Unreal Live Link FreeD ``Stype`` row: port 6301, full 24-bit zoom and focus, spare unused. No
    stYpe document was available here: their FreeD variant and axis conventions are NOT confirmed.
    """

    name: str = "stype"
    default_port: int = 6301


@dataclass(frozen=True)
class MosysPreset(FreeDPreset):
    """Mo-Sys (StarTracker FreeD output).

    Source: Unreal Live Link FreeD ``Mosys`` row: port 8001, zoom and focus 0..0xFFFF (16-bit mask); the
    spare's lower 8 bits carry tracking quality (0-3: undefined, good, caution, bad), not read here. No Mo-Sys
    document was available here: axis conventions are NOT confirmed.
    """

    name: str = "mosys"
    default_port: int = 8001
    zoom: EncoderRange | None = EncoderRange(0, 0xFFFF, mask=0xFFFF)
    focus: EncoderRange | None = EncoderRange(0, 0xFFFF, mask=0xFFFF)


@dataclass(frozen=True)
class NcamPreset(FreeDPreset):
    """Ncam (FreeD output of the Ncam Reality server).

    Source: Unreal Live Link FreeD ``Ncam`` row: port 6301, full 24-bit zoom and focus, spare unused. No
    Ncam document was available here: axis conventions are NOT confirmed.
    """

    name: str = "ncam"
    default_port: int = 6301


@dataclass(frozen=True)
class ZcamPreset(FreeDPreset):
    """Z CAM PTZ cameras (e.g. P2-R1).

    Source: Z CAM "Free-D Protocol" doc (imaginevision/Z-Camera-Doc, ``E2/protocol/freed/freed.md``):
    zoom field = real focal length in mm × 100 (950 = 9.50 mm); focus field = focus distance in mm × 10
    (12300 = 1230.0 mm); spare bits 0..11 = f-number × 100 (F2.8 = 280), bits 12..15 = frame sequence
    mod 16; roll, X, Y, Z always 0; pan ±175°, tilt −30..+90°. The doc's example status shows port 5001
    but does not call it a default, and Unreal has no Z CAM row; the Unreal default 40000 is used.
    Normalised encoders are not reported.
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
