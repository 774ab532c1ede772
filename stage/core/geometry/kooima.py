"""Generalized perspective projection (Robert Kooima, 2008) for a flat screen, in plain numpy.

The screen is a flat rectangle given by three corners in stage metres as seen from the viewer
(``pa`` = lower-left, ``pb`` = lower-right, ``pc`` = upper-left — exactly a
:class:`~stage.core.geometry.sections.Section`'s corners). For an eye ``pe`` in front of it:

- ``vr = (pb − pa)/|…|``, ``vu = (pc − pa)/|…|``, ``vn = vr × vu`` (unit; points at the viewer);
- ``d = −vn · (pa − pe)`` is the eye's distance from the screen plane (> 0 in front);
- on the near plane ``n``: ``l = vr·(pa−pe)·n/d``, ``r = vr·(pb−pe)·n/d``,
  ``b = vu·(pa−pe)·n/d``, ``t = vu·(pc−pe)·n/d``;
- ``P = frustum(l, r, b, t, n, f)``; ``M^T`` has rows ``vr, vu, vn`` (stage → screen axes,
  which are OpenGL camera axes: +X along the screen's right, +Y up, −Z into the screen);
  ``T`` translates by ``−pe``; ``clip_from_world = P · M^T · T``.

After the perspective divide the screen's corners land exactly on NDC (±1, ±1): lower-left at
(−1, −1), upper-right at (+1, +1). So with a viewport equal to the section's ``pixel_rect``
(NDC y = +1 at the rect's top row) every point on the screen is drawn at its own LED pixel, and
every point behind the screen where the eye→point ray crosses the screen.

Every function accepts stacked inputs: eyes of shape ``(..., 3)`` and corners of shape ``(..., 3)``
broadcast, giving results with a leading shape ``...``. An eye on or behind the screen plane
(``d <= 0``) gives a meaningless (mirrored or infinite) projection; callers check ``distance_m``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from stage.core.geometry.projection import frustum
from stage.core.geometry.sections import Section

__all__ = ["OffAxisProjection", "off_axis_projection", "section_projection", "screen_basis"]


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def screen_basis(
    lower_left: ArrayLike, lower_right: ArrayLike, upper_left: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit ``(vr, vu, vn)`` of a screen: right, up, and the normal ``vr × vu`` towards the viewer."""
    pa, pb, pc = (np.asarray(v, dtype=float) for v in (lower_left, lower_right, upper_left))
    vr = _unit(pb - pa)
    vu = _unit(pc - pa)
    vn = _unit(np.cross(vr, vu))
    return vr, vu, vn


@dataclass(frozen=True)
class OffAxisProjection:
    """The pieces of one (or a stack of) generalized perspective projection(s). Shapes ``S + (…)``."""

    extents_m: np.ndarray
    """``(l, r, b, t)`` on the near plane, metres, shape ``S + (4,)``."""
    distance_m: np.ndarray
    """Eye distance from the screen plane along its normal (> 0 in front), shape ``S``."""
    projection: np.ndarray
    """``P = frustum(l, r, b, t, near, far)``, shape ``S + (4, 4)``."""
    rotation: np.ndarray
    """``M^T`` as 4×4: rows ``vr, vu, vn`` — stage axes → screen (OpenGL camera) axes."""
    translation: np.ndarray
    """``T``: 4×4 translation by ``−eye``."""
    clip_from_world: np.ndarray
    """``P · M^T · T``, shape ``S + (4, 4)``."""

    @property
    def view(self) -> np.ndarray:
        """``camera_from_world = M^T · T``: the view matrix of the screen-aligned camera at the eye."""
        return self.rotation @ self.translation


def off_axis_projection(
    eye_m: ArrayLike,
    lower_left: ArrayLike,
    lower_right: ArrayLike,
    upper_left: ArrayLike,
    near_m: float,
    far_m: float,
) -> OffAxisProjection:
    """Kooima's generalized perspective projection for ``eye_m`` through a flat screen (see module doc)."""
    pe = np.asarray(eye_m, dtype=float)
    pa, pb, pc = (np.asarray(v, dtype=float) for v in (lower_left, lower_right, upper_left))
    vr, vu, vn = screen_basis(pa, pb, pc)
    va, vb, vc = pa - pe, pb - pe, pc - pe
    d = -np.sum(vn * va, axis=-1)
    scale = near_m / d
    l = np.sum(vr * va, axis=-1) * scale  # noqa: E741
    r = np.sum(vr * vb, axis=-1) * scale
    b = np.sum(vu * va, axis=-1) * scale
    t = np.sum(vu * vc, axis=-1) * scale
    l, r, b, t = np.broadcast_arrays(l, r, b, t)  # noqa: E741
    p = frustum(l, r, b, t, near_m, far_m)

    shape = l.shape
    rot = np.zeros(shape + (4, 4))
    rot[..., 0, :3] = vr
    rot[..., 1, :3] = vu
    rot[..., 2, :3] = vn
    rot[..., 3, 3] = 1.0
    trans = np.zeros(shape + (4, 4))
    trans[..., :, :] = np.eye(4)
    trans[..., :3, 3] = -pe
    return OffAxisProjection(
        extents_m=np.stack([l, r, b, t], axis=-1),
        distance_m=np.broadcast_to(d, shape).copy(),
        projection=p,
        rotation=rot,
        translation=trans,
        clip_from_world=p @ rot @ trans,
    )


def section_projection(section: Section, eye_m: ArrayLike, near_m: float, far_m: float) -> OffAxisProjection:
    """:func:`off_axis_projection` through a wall section; draw it with viewport = ``section.pixel_rect``."""
    return off_axis_projection(eye_m, section.lower_left, section.lower_right, section.upper_left, near_m, far_m)
