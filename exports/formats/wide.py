"""The wide layout of progression timepoints: one row per patient and date, each region series'
measures side by side (``hand_left_sum_longest_diameter_mm``, ...). Pure: it regroups the long
rows of one patient at a time, so memory holds one patient, never the cohort.

Visits need no pivot: their wide layout is one row per patient and visit with the patient's
covariates beside the visit (:func:`exports.levels.visit_wide_columns`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import groupby

from exports.columns import Column

# Long progression columns (exports.levels.progression_columns), by position.
PATIENT, REGION, SIDE, NUMBER, DATE, DURATION, RAYNAUD = range(7)
LESIONS, SLD, AREA, STATUS = 7, 8, 9, 10
SERIES_MEASURES = (LESIONS, SLD, AREA, STATUS)

WIDE_LEVELS = ("visits", "progression_timepoints")
WIDE_NOT_AVAILABLE = (
    "The wide layout (one row per patient and timepoint) exists for visits and progression "
    "timepoints; use the long CSV for {level}."
)


def series_prefix(region: str, side: str) -> str:
    return f"{region}_{side}"


def wide_columns(long_columns: list[Column], series: list[tuple[str, str]]) -> list[Column]:
    """Patient, date and durations, then each series' measures (named with its prefix)."""
    fixed = [long_columns[i] for i in (PATIENT, DATE, DURATION, RAYNAUD)]
    pivoted = []
    for region, side in series:
        prefix = series_prefix(region, side)
        for index in SERIES_MEASURES:
            column = long_columns[index]
            pivoted.append(
                replace(
                    column,
                    name=f"{prefix}_{column.name}",
                    label=f"{column.label}, {side} {region}",
                    imports_to="",
                )
            )
    return fixed + pivoted


def pivot(batches: Iterable[list[tuple]], series: list[tuple[str, str]]) -> Iterator[list[tuple]]:
    """Wide rows from long rows grouped by patient (as the long rows come)."""
    position = {key: index for index, key in enumerate(series)}
    width = len(SERIES_MEASURES)
    for batch in batches:
        out: list[tuple] = []
        for _patient, rows in groupby(batch, key=lambda row: row[PATIENT]):
            by_date: dict = {}
            for row in rows:
                key = (row[REGION], row[SIDE])
                if key not in position:
                    continue
                fixed = by_date.setdefault(row[DATE], [row[PATIENT], row[DATE], row[DURATION],
                                                       row[RAYNAUD], [None] * len(series) * width])
                start = position[key] * width
                fixed[4][start : start + width] = [row[i] for i in SERIES_MEASURES]
            for when in sorted(by_date, key=lambda d: (d is None, d)):
                patient, day, duration, raynaud, values = by_date[when]
                out.append((patient, day, duration, raynaud, *values))
        if out:
            yield out
