"""Unit quaternions ``(w, x, y, z)`` for rotation interpolation: conversion from and to 3×3 rotation matrices, and
spherical linear interpolation (slerp) — the one correct way to blend two orientations (blending Euler angles or
matrix entries is not)."""

from __future__ import annotations

import math

import numpy as np


def quaternion_from_matrix(r: np.ndarray) -> np.ndarray:
    """The unit quaternion ``(w, x, y, z)`` of a 3×3 rotation matrix, with ``w >= 0`` (Shepperd's method: the
    largest diagonal term picks the branch, so no division by a small number)."""
    r = np.asarray(r, dtype=float)
    trace = r[0, 0] + r[1, 1] + r[2, 2]
    if trace > 0.0:
        s = 2.0 * math.sqrt(1.0 + trace)
        q = np.array([0.25 * s, (r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s])
    elif r[0, 0] > r[1, 1] and r[0, 0] > r[2, 2]:
        s = 2.0 * math.sqrt(1.0 + r[0, 0] - r[1, 1] - r[2, 2])
        q = np.array([(r[2, 1] - r[1, 2]) / s, 0.25 * s, (r[0, 1] + r[1, 0]) / s, (r[0, 2] + r[2, 0]) / s])
    elif r[1, 1] > r[2, 2]:
        s = 2.0 * math.sqrt(1.0 + r[1, 1] - r[0, 0] - r[2, 2])
        q = np.array([(r[0, 2] - r[2, 0]) / s, (r[0, 1] + r[1, 0]) / s, 0.25 * s, (r[1, 2] + r[2, 1]) / s])
    else:
        s = 2.0 * math.sqrt(1.0 + r[2, 2] - r[0, 0] - r[1, 1])
        q = np.array([(r[1, 0] - r[0, 1]) / s, (r[0, 2] + r[2, 0]) / s, (r[1, 2] + r[2, 1]) / s, 0.25 * s])
    q /= np.linalg.norm(q)
    return -q if q[0] < 0.0 else q


def matrix_from_quaternion(q: np.ndarray) -> np.ndarray:
    """The 3×3 rotation matrix of a quaternion ``(w, x, y, z)`` (normalised first)."""
    w, x, y, z = np.asarray(q, dtype=float) / np.linalg.norm(q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


def slerp(q0: np.ndarray, q1: np.ndarray, t: float) -> np.ndarray:
    """The rotation a fraction ``t`` of the way from ``q0`` to ``q1`` along the shorter arc, at constant angular
    speed. Nearly equal rotations fall back to a normalised linear blend (same result to rounding)."""
    q0 = np.asarray(q0, dtype=float)
    q1 = np.asarray(q1, dtype=float)
    dot = float(np.dot(q0, q1))
    if dot < 0.0:  # q and −q are the same rotation: take the short way round
        q1, dot = -q1, -dot
    if dot > 0.9995:
        q = q0 + t * (q1 - q0)
        return q / np.linalg.norm(q)
    theta = math.acos(min(1.0, dot))
    sin_theta = math.sin(theta)
    return (math.sin((1.0 - t) * theta) * q0 + math.sin(t * theta) * q1) / sin_theta


def rotation_angle_deg(r_a: np.ndarray, r_b: np.ndarray) -> float:
    """The angle of the rotation that takes ``r_a`` to ``r_b`` (3×3 matrices), degrees in [0, 180]: how far apart two
    orientations are, about whichever axis. Through the quaternion (``2·atan2(|xyz|, w)``), exact for small angles
    where ``acos`` of the trace loses half its digits."""
    q = quaternion_from_matrix(np.asarray(r_a, dtype=float).T @ np.asarray(r_b, dtype=float))
    return math.degrees(2.0 * math.atan2(float(np.linalg.norm(q[1:])), float(q[0])))
