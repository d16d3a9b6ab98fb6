"""SLD and lesion count by disease-duration band, as the cohort page tabulates them.

Pure Python. The cohort service's own bands (:func:`progression.engine.cohort.duration_bands`)
are contiguous bands of one width with means and medians; a clinician reads burden against the
usual disease-duration groups instead, with the spread: fixed bands (<5, 5-10, 10-15, 15-20,
>=20 years by default), each with its number of points and of patients, and the median and
interquartile range of the SLD and of the lesion count. A point is one region series timepoint
(:class:`progression.engine.cohort.DurationPoint`), so one patient may give several.

Quartiles are the "inclusive" sample quantiles of :func:`statistics.quantiles` (Hyndman & Fan
1996 type 7, linear interpolation between order statistics: the default of R and NumPy).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

from progression.engine.cohort import UNKNOWN_DURATION, DurationPoint

DURATION_EDGES = (5.0, 10.0, 15.0, 20.0)  # years since the first non-Raynaud manifestation
BAD_EDGES = "band edges must be increasing finite numbers of years > 0, not {value!r}"


@dataclass(frozen=True)
class Quartiles:
    q1: float
    median: float
    q3: float


@dataclass(frozen=True)
class DurationRow:
    """Points with lower <= duration < upper; a None bound: open (both None: duration unknown).
    Counts are None when suppressed for a researcher (:func:`duration_table_suppressed`)."""

    label: str
    lower_years: float | None
    upper_years: float | None
    points: int | None
    patients: int | None
    sld_mm: Quartiles | None
    lesion_count: Quartiles | None


def quartiles(values: Sequence[float]) -> Quartiles | None:
    """Median and quartiles (type 7); one value is its own quartiles; None without values."""
    if not values:
        return None
    if len(values) == 1:
        return Quartiles(values[0], values[0], values[0])
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return Quartiles(q1, median, q3)


def band_labels(edges: Sequence[float] = DURATION_EDGES) -> list[str]:
    """``["<5", "5-10", "10-15", "15-20", "≥20"]`` for the default edges."""
    _check_edges(edges)
    inner = [f"{low:g}-{high:g}" for low, high in pairwise(edges)]
    return [f"<{edges[0]:g}", *inner, f"≥{edges[-1]:g}"]


def band_index(duration_years: float, edges: Sequence[float] = DURATION_EDGES) -> int:
    """The band of a duration: 0 below the first edge, ``len(edges)`` at or past the last one.
    A duration equal to an edge belongs to the band that starts there (half-open bands)."""
    return sum(duration_years >= edge for edge in edges)


def duration_table(
    points: Iterable[tuple[Hashable, DurationPoint]],
    edges: Sequence[float] = DURATION_EDGES,
) -> list[DurationRow]:
    """One row per band, empty bands included, then an "unknown" row when some points have no
    disease duration. ``points`` pairs each point with its patient's key (to count patients)."""
    labels = band_labels(edges)
    grouped: list[list[tuple[Hashable, DurationPoint]]] = [[] for _ in labels]
    unknown: list[tuple[Hashable, DurationPoint]] = []
    for key, point in points:
        if point.disease_duration_years is None:
            unknown.append((key, point))
        else:
            grouped[band_index(point.disease_duration_years, edges)].append((key, point))
    bounds = [None, *edges, None]
    rows = [
        _row(label, bounds[index], bounds[index + 1], grouped[index])
        for index, label in enumerate(labels)
    ]
    if unknown:
        rows.append(_row(UNKNOWN_DURATION, None, None, unknown))
    return rows


def _row(
    label: str,
    lower: float | None,
    upper: float | None,
    members: list[tuple[Hashable, DurationPoint]],
) -> DurationRow:
    return DurationRow(
        label=label,
        lower_years=lower,
        upper_years=upper,
        points=len(members),
        patients=len({key for key, _ in members}),
        sld_mm=quartiles([point.sum_longest_diameter_mm for _, point in members]),
        lesion_count=quartiles([float(point.lesion_count) for _, point in members]),
    )


def duration_table_suppressed(rows: Sequence[DurationRow], *, min_cell: int) -> list[DurationRow]:
    """A researcher's copy: a band of 1 to ``min_cell - 1`` patients shows neither its counts
    nor its statistics (counted in patients, not points: one patient gives several points)."""
    return [
        replace(row, points=None, patients=None, sld_mm=None, lesion_count=None)
        if row.patients is not None and 0 < row.patients < min_cell
        else row
        for row in rows
    ]


def _check_edges(edges: Sequence[float]) -> None:
    ok = bool(edges) and all(
        not isinstance(edge, bool) and isinstance(edge, int | float) and math.isfinite(edge)
        for edge in edges
    )
    if not ok or edges[0] <= 0 or any(b <= a for a, b in pairwise(edges)):
        raise ValueError(BAD_EDGES.format(value=edges))
