"""CSV export: one row per sample, a header row, stable column order, empty cells for unknown values."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from stage.core.wire.pose import PoseMessage

CSV_COLUMNS = (
    "t_sample", "timecode", "camera", "seq",
    "x_m", "y_m", "z_m", "pan_deg", "tilt_deg", "roll_deg",
    "focal_length_mm", "focus_m", "fstop", "entrance_pupil_m", "stale",
)
"""The header row. New columns are only ever appended, so scripts that index columns keep working."""


def csv_row(sample: PoseMessage) -> list[str]:
    """One sample as CSV cells in :data:`CSV_COLUMNS` order (floats in full precision, ``None`` as empty)."""
    values = (
        sample.t_sample, sample.timecode, sample.camera, sample.seq,
        *sample.position_m, *sample.rotation_deg,
        sample.focal_length_mm, sample.focus_m, sample.fstop, sample.entrance_pupil_m,
        "1" if sample.stale else "0",
    )
    return ["" if v is None else repr(v) if isinstance(v, float) else str(v) for v in values]


def to_csv(samples: Iterable[PoseMessage]) -> str:
    """The CSV text (``\\n`` line endings) for ``samples``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for sample in samples:
        writer.writerow(csv_row(sample))
    return out.getvalue()
