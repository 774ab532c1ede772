"""One Euro filter (Casiez, Roussel, Vogel, CHI 2012) with explicit timestamps.

Per sample at time ``t`` (seconds): ``te = t − t_prev``; the derivative is taken from the previous
*filtered* value, ``dx = (x − x̂_prev) / te``, smoothed with cutoff ``dcutoff``; the value cutoff is
``mincutoff + beta·|dx̂|``; ``x̂ = x̂_prev + α (x − x̂_prev)`` with ``α = 1 / (1 + τ/te)``,
``τ = 1 / (2π·cutoff)``. The first sample passes through unchanged.

:class:`OneEuroFilter` filters one scalar; :class:`PoseFilter` filters a 6-DOF pose (position in
metres, pan/tilt/roll in degrees) with angles unwrapped first so that crossing ±180° is continuous.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from stage.core.pose import unwrap_deg, wrap_deg


def _alpha(cutoff_hz: float, te_s: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / te_s)


class OneEuroFilter:
    """Scalar One Euro filter.

    Args:
        mincutoff_hz: minimum cutoff frequency (Hz): lower = less jitter at rest, more lag.
        beta: speed coefficient (1/unit of the signal): higher = less lag when moving fast.
        dcutoff_hz: cutoff frequency (Hz) for the derivative.
    """

    def __init__(self, mincutoff_hz: float = 1.0, beta: float = 0.0, dcutoff_hz: float = 1.0) -> None:
        if mincutoff_hz <= 0.0 or dcutoff_hz <= 0.0 or beta < 0.0:
            raise ValueError("One Euro cutoffs must be > 0 Hz and beta >= 0")
        self.mincutoff_hz = mincutoff_hz
        self.beta = beta
        self.dcutoff_hz = dcutoff_hz
        self.reset()

    def reset(self) -> None:
        """Forget the history: the next sample passes through unchanged."""
        self._t: float | None = None
        self._x = 0.0
        self._dx = 0.0

    @property
    def value(self) -> float | None:
        """Last filtered value, or None before the first sample."""
        return None if self._t is None else self._x

    def __call__(self, x: float, t: float) -> float:
        """Filter sample ``x`` taken at time ``t`` (seconds); returns the filtered value.

        A sample whose timestamp does not advance (te ≤ 0) returns the previous output unchanged.
        """
        if self._t is None:
            self._t, self._x, self._dx = t, x, 0.0
            return x
        te = t - self._t
        if te <= 0.0:
            return self._x
        dx = (x - self._x) / te
        self._dx += _alpha(self.dcutoff_hz, te) * (dx - self._dx)
        cutoff = self.mincutoff_hz + self.beta * abs(self._dx)
        self._x += _alpha(cutoff, te) * (x - self._x)
        self._t = t
        return self._x


class PoseFilter:
    """One Euro filter for a 6-DOF pose: position (m) and pan/tilt/roll (degrees), per axis.

    Angles are unwrapped (:func:`stage.core.pose.unwrap_deg`, the only unwrap on this path) against the previous
    sample before filtering, so an input going
    179° → −179° is seen as 179° → 181° and the output moves smoothly through 180°. The returned angles
    stay in that continuous (unwrapped) range; wrap them with ``wrap_output=True`` if needed.

    Args:
        position: ``(mincutoff_hz, beta, dcutoff_hz)`` for x, y, z (beta in 1/(m/s)).
        rotation: ``(mincutoff_hz, beta, dcutoff_hz)`` for pan, tilt, roll (beta in 1/(deg/s)).
        wrap_output: wrap output angles to [−180, 180).
    """

    def __init__(
        self,
        position: tuple[float, float, float] = (1.0, 0.5, 1.0),
        rotation: tuple[float, float, float] = (1.0, 0.01, 1.0),
        wrap_output: bool = False,
    ) -> None:
        self._filters = [OneEuroFilter(*position) for _ in range(3)] + [OneEuroFilter(*rotation) for _ in range(3)]
        self.wrap_output = wrap_output
        self._unwrapped: list[float] | None = None

    def reset(self) -> None:
        """Forget the history of every axis."""
        for f in self._filters:
            f.reset()
        self._unwrapped = None

    def __call__(
        self, position_m: Sequence[float], rotation_deg: Sequence[float], t: float
    ) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        """Filter one pose sample at time ``t`` (seconds); returns ``(position_m, rotation_deg)``."""
        if self._unwrapped is None:
            angles = [float(a) for a in rotation_deg]
        else:
            angles = [unwrap_deg(prev, a) for prev, a in zip(self._unwrapped, rotation_deg, strict=True)]
        self._unwrapped = angles
        f = self._filters
        pos = (f[0](position_m[0], t), f[1](position_m[1], t), f[2](position_m[2], t))
        rot = [f[3](angles[0], t), f[4](angles[1], t), f[5](angles[2], t)]
        if self.wrap_output:
            rot = [wrap_deg(a) for a in rot]
        return pos, (rot[0], rot[1], rot[2])
