"""Camera and lens models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from stage.core.config.color import OcioName
from stage.core.config.types import Finite, Name, PositiveFloat, StrictModel


class FixedLens(StrictModel):
    """A prime lens (or a zoom locked at one setting): values pass through unchanged."""

    kind: Literal["fixed"]
    focal_length_mm: Annotated[Finite, Field(gt=0.0, le=5000.0)]
    """Focal length in millimetres."""
    entrance_pupil_m: Finite = 0.0
    """Entrance-pupil offset along the optical axis from the tracked point, metres (forward positive)."""
    focus_m: PositiveFloat | None = None
    """Focus distance in metres, if known."""


class ZoomPoint(StrictModel):
    """One zoom-encoder calibration point."""

    encoder: Finite
    """Zoom encoder value as the tracking source reports it: normalised 0 (wide) .. 1 (tele), as in OpenTrackIO;
    FreeD counts are normalised over the preset's encoder range or the source's ``zoom_range`` (docs/tracking.md)."""
    focal_length_mm: Annotated[Finite, Field(gt=0.0, le=5000.0)]
    """Focal length at this encoder value, millimetres."""
    entrance_pupil_m: Finite = 0.0
    """Entrance-pupil offset along the optical axis at this encoder value, metres."""


class FocusPoint(StrictModel):
    """One focus-encoder calibration point."""

    encoder: Finite
    """Focus encoder value as the tracking source reports it: normalised 0 (infinity) .. 1 (closest)."""
    focus_m: PositiveFloat
    """Focus distance at this encoder value, metres."""


class LensTable(StrictModel):
    """A calibrated zoom lens: encoder values map to optics by piecewise-linear interpolation,
    clamped at the ends of each table. Encoder values must increase strictly down each table."""

    kind: Literal["table"]
    zoom: Annotated[list[ZoomPoint], Field(min_length=1)]
    """Zoom encoder → focal length and entrance-pupil offset."""
    focus: list[FocusPoint] = []
    """Focus encoder → focus distance (optional)."""

    @model_validator(mode="after")
    def _increasing(self) -> LensTable:
        for name, points in (("zoom", self.zoom), ("focus", self.focus)):
            encoders = [p.encoder for p in points]
            if any(b <= a for a, b in zip(encoders, encoders[1:], strict=False)):
                raise ValueError(f"{name} encoder values must increase strictly, got {encoders}")
        return self


Lens = Annotated[FixedLens | LensTable, Field(discriminator="kind")]


class OneEuroSettings(StrictModel):
    """One Euro filter (Casiez et al. 2012) applied per axis to position and angles."""

    kind: Literal["one_euro"]
    min_cutoff_hz: PositiveFloat = 1.0
    """Position cutoff at rest: lower removes more jitter, adds lag when slow."""
    beta: Annotated[Finite, Field(ge=0.0)] = 0.5
    """Position speed coefficient, per m/s: higher reduces lag on fast moves."""
    rotation_min_cutoff_hz: PositiveFloat = 1.0
    """Angle cutoff at rest."""
    rotation_beta: Annotated[Finite, Field(ge=0.0)] = 0.01
    """Angle speed coefficient, per degree/s."""
    d_cutoff_hz: PositiveFloat = 1.0
    """Cutoff of the derivative estimate (both)."""


class NoFilter(StrictModel):
    """No filtering: poses pass through as measured."""

    kind: Literal["none"]


Filter = Annotated[NoFilter | OneEuroSettings, Field(discriminator="kind")]


class Latency(StrictModel):
    """Latency compensation for one camera.

    ``delay``: hold each pose back by ``ms`` (to line tracking up with a slower video path).
    ``predict``: extrapolate each pose ``ms`` into the future from measured linear and angular velocity (the tracking
    daemon, a fixed horizon after each sample).
    ``present`` (needs ``cluster.frame_lock``): the frame clock extrapolates each frame's pose from its sample time to
    that frame's present time — its due time plus the median of how late after their due time the nodes presented
    their recent frames (their own reports) — plus ``ms``, from the velocity between the camera's last two samples:
    the horizon of every frame, whatever the phase between tracker and frame clock
    (docs/cluster.md#prediction-to-the-present-time).
    """

    mode: Literal["none", "delay", "predict", "present"] = "none"
    ms: Annotated[Finite, Field(ge=0.0, le=1000.0)] = 0.0
    """Delay or prediction horizon, milliseconds; with ``present``, how long after the nodes' present the picture
    appears on the wall (the LED processor's delay), 0 to show the pose of the present itself."""


class Camera(StrictModel):
    """A tracked film camera."""

    id: Name
    """Camera id; topics are ``pose/<id>``."""
    source: Name
    """Name of the tracking source (``sources[].name``) that drives this camera."""
    source_camera: str | None = None
    """Which camera of a multi-camera source: FreeD camera id (decimal) or OpenTrackIO sourceId.
    Default: any sample from the source."""
    sensor_mm: tuple[PositiveFloat, PositiveFloat]
    """Active sensor size ``[width, height]`` in millimetres."""
    lens: Lens
    """Fixed lens or calibrated lens table."""
    filter: Filter = NoFilter(kind="none")
    """Pose smoothing."""
    latency: Latency = Latency()
    """Delay or prediction."""
    priority: int = 0
    """Where inner frusta of several cameras overlap on a wall, the higher priority is drawn on top."""
    inner_look: OcioName | None = None
    """OCIO look(s) applied to this camera's inner frustum only, in the working space, before it is composited
    (needs ``color.ocio_config``): the grade the camera should see, while the outer frustum that lights the set
    stays neutral."""
