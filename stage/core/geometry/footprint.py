"""Inner-frustum footprint of a camera on wall sections, in wall image pixels (pure numpy).

The camera's view is a pyramid with its apex at the projection centre (the entrance pupil, or the
tracked point when ``entrance_pupil_m`` is 0) bounded by four side planes through the frame edges;
the frame is the sensor seen through the lens, enlarged by ``overscan_pct`` (tangents of the
half-angles × ``1 + overscan_pct/100``). The intersection of those four half-spaces is exactly the
part of space in front of the camera that it sees, so clipping a section's rectangle against them
(Sutherland–Hodgman, in 3D) gives the footprint without ever intersecting corner rays with the
wall plane — robust when corner rays run parallel to the wall or away from it.

The result is the footprint polygon in continuous wall image coordinates ``(col, row)`` (row 0 at
the top, see :mod:`stage.core.geometry.pixelmap`), wound clockwise as seen on the image (positive
:func:`polygon_area`); empty when the camera does not see the section,
the section lies behind the camera, or the camera is behind the section's LEDs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from stage.core.geometry.pixelmap import pixel_of_point
from stage.core.geometry.sections import Section
from stage.core.lens import entrance_pupil_position
from stage.core.pose import Pose

__all__ = ["CameraFrustum", "polygon_area", "section_footprint", "wall_footprints"]

Polygon = list[tuple[float, float]]


@dataclass(frozen=True)
class CameraFrustum:
    """A camera's viewing pyramid in stage space."""

    apex_m: np.ndarray
    """Projection centre, stage metres, shape (3,)."""
    plane_normals: np.ndarray
    """(4, 3) inward normals of the right, left, top and bottom side planes (all through the apex):
    a point ``p`` is inside when ``normal · (p − apex) >= 0`` for all four."""

    @classmethod
    def from_camera(
        cls,
        pose: Pose,
        focal_length_mm: float,
        sensor_mm: tuple[float, float],
        overscan_pct: float = 0.0,
        entrance_pupil_m: float = 0.0,
    ) -> CameraFrustum:
        """The frustum of a camera at ``pose`` (tracked point) with a centred lens on an active sensor."""
        if focal_length_mm <= 0.0:
            raise ValueError(f"focal_length_mm must be positive, got {focal_length_mm}")
        grow = 1.0 + overscan_pct / 100.0
        tan_w = 0.5 * sensor_mm[0] / focal_length_mm * grow
        tan_h = 0.5 * sensor_mm[1] / focal_length_mm * grow
        # Stage-style camera axes: x right, y forward, z up. Inside: |x| <= tan_w·y, |z| <= tan_h·y.
        local = np.array(
            [[-1.0, tan_w, 0.0], [1.0, tan_w, 0.0], [0.0, tan_h, -1.0], [0.0, tan_h, 1.0]],
        )
        return cls(apex_m=entrance_pupil_position(pose, entrance_pupil_m), plane_normals=local @ pose.rotation.T)

    def contains(self, points_m: np.ndarray) -> np.ndarray:
        """Whether stage point(s) ``(..., 3)`` lie inside the (infinite) pyramid."""
        rel = np.asarray(points_m, dtype=float) - self.apex_m
        return np.all(rel @ self.plane_normals.T >= 0.0, axis=-1)


def _clip(polygon: list[np.ndarray], normal: np.ndarray, apex: np.ndarray) -> list[np.ndarray]:
    """Sutherland–Hodgman: the part of a convex 3D polygon on the side ``normal · (p − apex) >= 0``."""
    if not polygon:
        return []
    dist = [float(normal @ (p - apex)) for p in polygon]
    out: list[np.ndarray] = []
    for i, (p, dp) in enumerate(zip(polygon, dist, strict=True)):
        q, dq = polygon[i - 1], dist[i - 1]  # previous vertex: edge q → p
        if dp >= 0.0:
            if dq < 0.0:
                out.append(q + (p - q) * (dq / (dq - dp)))
            out.append(p)
        elif dq >= 0.0:
            out.append(q + (p - q) * (dq / (dq - dp)))
    return out


def section_footprint(section: Section, frustum: CameraFrustum, min_area_px: float = 1e-9) -> Polygon:
    """The part of ``section`` the camera sees, as a polygon of wall image ``(col, row)`` vertices."""
    if float(section.normal @ (frustum.apex_m - section.lower_left)) <= 0.0:
        return []  # camera on or behind the LED plane: it sees the back of the cabinets, if anything
    polygon = [section.upper_left, section.upper_right, section.lower_right, section.lower_left]
    for normal in frustum.plane_normals:
        polygon = _clip(polygon, normal, frustum.apex_m)
        if len(polygon) < 3:
            return []
    cols, rows = pixel_of_point(section, np.array(polygon))
    x, y, w, h = section.pixel_rect
    cols = np.clip(cols, x, x + w)  # clipping leaves points on the rectangle; drop rounding overshoot
    rows = np.clip(rows, y, y + h)
    points: Polygon = []
    for c, r in zip(cols.tolist(), rows.tolist(), strict=True):
        if not points or abs(c - points[-1][0]) > 1e-9 or abs(r - points[-1][1]) > 1e-9:
            points.append((c, r))
    while len(points) > 1 and abs(points[0][0] - points[-1][0]) <= 1e-9 and abs(points[0][1] - points[-1][1]) <= 1e-9:
        points.pop()
    if len(points) < 3 or abs(polygon_area(points)) < min_area_px:
        return []
    return points


def wall_footprints(sections: Sequence[Section], frustum: CameraFrustum) -> list[Polygon]:
    """:func:`section_footprint` for every section of a wall (left to right); empty lists where unseen."""
    return [section_footprint(s, frustum) for s in sections]


def polygon_area(points: Polygon) -> float:
    """Shoelace area in pixels²; positive for clockwise-on-image (row-down) winding."""
    a = np.asarray(points, dtype=float)
    x, y = a[:, 0], a[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
