"""Lesion diameters from pixel end points and a pixel spacing (pure functions)."""

from __future__ import annotations

import math
from collections.abc import Sequence

Point = tuple[float, float]

INVALID_AXIS = "Give two points as [[x1, y1], [x2, y2]] in image pixels."
ZERO_AXIS = "The two points are the same: the axis has no length."


def parse_axis(value: object) -> tuple[Point, Point]:
    """Validate ``[[x1, y1], [x2, y2]]`` (column, row; non-negative); ValueError otherwise."""
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise ValueError(INVALID_AXIS)
    points = []
    for point in value:
        if not isinstance(point, Sequence) or isinstance(point, str) or len(point) != 2:
            raise ValueError(INVALID_AXIS)
        x, y = point
        if any(isinstance(c, bool) or not isinstance(c, int | float) for c in (x, y)):
            raise ValueError(INVALID_AXIS)
        if not (math.isfinite(x) and math.isfinite(y)) or x < 0 or y < 0:
            raise ValueError(INVALID_AXIS)
        points.append((float(x), float(y)))
    if points[0] == points[1]:
        raise ValueError(ZERO_AXIS)
    return points[0], points[1]


def axis_length_mm(axis: tuple[Point, Point], spacing_mm: tuple[float, float]) -> float:
    """Length in mm of an axis given in pixels; spacing is (row, column) mm per pixel (DICOM
    PixelSpacing order, PS3.3 10.7.1.3): x offsets scale by the column spacing, y by the row."""
    (x1, y1), (x2, y2) = axis
    row_mm, column_mm = spacing_mm
    return math.hypot((x2 - x1) * column_mm, (y2 - y1) * row_mm)
