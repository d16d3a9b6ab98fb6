"""Cohort views of calcinosis progression (DOMAIN.md, "Calcinosis progression", Cohort).

Pure Python: counts of patients per current status, SLD and lesion count by disease-duration
band, and the Kaplan-Meier (product-limit) estimate of the proportion free of progression.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from patients.duration import years_between
from progression.engine.results import SEVERITY, PatientProgression, SeriesStatus

NO_RADIOGRAPH = "no_radiograph"  # the key counting patients whose status is None

BAD_TIME = "follow-up time must be a finite number of years >= 0, not {value!r}"
BAD_WIDTH = "band width must be a finite number of years > 0, not {value!r}"
UNKNOWN_STATUS = "unknown progression status {value!r}"
UNKNOWN_DURATION = "unknown"  # the label of the band of points without a disease duration


@dataclass(frozen=True)
class KaplanMeierStep:
    """The estimate just after ``time_years``; it is 1.0 before the first step."""

    time_years: float
    survival: float
    at_risk: int
    events: int
    censored: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "time_years": round(self.time_years, 3),
            "survival": round(self.survival, 4),
            "at_risk": self.at_risk,
            "events": self.events,
            "censored": self.censored,
        }


def kaplan_meier(observations: Iterable[tuple[float, bool]]) -> list[KaplanMeierStep]:
    """Product-limit estimate: one step per distinct time, events or censorings.

    ``(time_years, event)``: event True = progression at that time, False = censored (free of
    progression when last seen). At a tied time the events come before the censorings, so those
    censored then are still at risk: S(t) = S(t-) * (1 - events / at_risk).
    """
    data = sorted((_check_time(time), bool(event)) for time, event in observations)
    steps = []
    survival, at_risk, index = 1.0, len(data), 0
    while index < len(data):
        time = data[index][0]
        events = censored = 0
        while index < len(data) and data[index][0] == time:
            events += data[index][1]
            censored += not data[index][1]
            index += 1
        survival *= 1 - events / at_risk
        steps.append(KaplanMeierStep(time, survival, at_risk, events, censored))
        at_risk -= events + censored
    return steps


def _check_time(time: float) -> float:
    if isinstance(time, bool) or not isinstance(time, int | float) or not math.isfinite(time):
        raise ValueError(BAD_TIME.format(value=time))
    if time < 0:
        raise ValueError(BAD_TIME.format(value=time))
    return float(time)


def progression_free_time(
    result: PatientProgression, *, scale: Literal["follow_up", "disease_duration"] = "follow_up"
) -> tuple[float, bool] | None:
    """One patient's ``(time_years, event)`` for :func:`kaplan_meier`, over all region series.

    The event is the first timepoint graded progression in any series; without one the patient
    is censored at the last timepoint. ``follow_up`` counts years from the patient's first
    radiograph; ``disease_duration`` uses the disease duration at that timepoint (None when the
    onset is unknown). Patients enter a disease-duration curve late (at their first radiograph)
    and this plain estimator does not adjust for that delayed entry: read it as descriptive.
    None when the patient has no radiograph.
    """
    timepoints = [tp for series in result.series for tp in series.timepoints]
    if not timepoints:
        return None
    progressed = [tp for tp in timepoints if tp.status == SeriesStatus.PROGRESSION]
    event = bool(progressed)
    if event:
        at = min(progressed, key=lambda tp: tp.date)
    else:
        at = max(timepoints, key=lambda tp: tp.date)
    if scale == "disease_duration":
        if at.disease_duration_years is None:
            return None
        return (at.disease_duration_years, event)
    first = min(tp.date for tp in timepoints)
    return (years_between(first, at.date), event)


def status_counts(statuses: Iterable[str | None]) -> dict[str, int]:
    """Patients per current status, every status listed (most severe first), then no radiograph."""
    counts = {str(status): 0 for status in SEVERITY}
    counts[NO_RADIOGRAPH] = 0
    for status in statuses:
        key = NO_RADIOGRAPH if status is None else str(status)
        if key not in counts:
            raise ValueError(UNKNOWN_STATUS.format(value=status))
        counts[key] += 1
    return counts


@dataclass(frozen=True)
class DurationPoint:
    """One region series timepoint: its SLD and lesion count at a disease duration."""

    disease_duration_years: float | None
    sum_longest_diameter_mm: float
    lesion_count: int


@dataclass(frozen=True)
class DurationBand:
    """Points with lower_years <= duration < upper_years (both None: duration unknown)."""

    label: str
    lower_years: float | None
    upper_years: float | None
    n: int
    sld_mean_mm: float | None
    sld_median_mm: float | None
    lesion_count_mean: float | None
    lesion_count_median: float | None

    def to_dict(self) -> dict[str, Any]:
        def mm(value: float | None) -> float | None:
            return None if value is None else round(value, 2)

        return {
            "label": self.label,
            "lower_years": self.lower_years,
            "upper_years": self.upper_years,
            "n": self.n,
            "sld_mean_mm": mm(self.sld_mean_mm),
            "sld_median_mm": mm(self.sld_median_mm),
            "lesion_count_mean": mm(self.lesion_count_mean),
            "lesion_count_median": mm(self.lesion_count_median),
        }


def duration_points(result: PatientProgression) -> list[DurationPoint]:
    """Every region series timepoint of a patient (a patient may give several points)."""
    return [
        DurationPoint(tp.disease_duration_years, tp.sum_longest_diameter_mm, tp.lesion_count)
        for series in result.series
        for tp in series.timepoints
    ]


def duration_bands(points: Iterable[DurationPoint], width_years: float = 5.0) -> list[DurationBand]:
    """SLD and lesion count by disease-duration band ("0-5", "5-10", ... for a width of 5).

    Bands are half-open, [lower, upper), and contiguous from the lowest to the highest band
    holding a point (an empty band has n = 0 and no statistics). Points whose disease duration is
    unknown are reported in a last band labelled "unknown".
    """
    if isinstance(width_years, bool) or not isinstance(width_years, int | float):
        raise ValueError(BAD_WIDTH.format(value=width_years))
    if not (math.isfinite(width_years) and width_years > 0):
        raise ValueError(BAD_WIDTH.format(value=width_years))
    grouped: dict[int, list[DurationPoint]] = {}
    unknown: list[DurationPoint] = []
    for point in points:
        if point.disease_duration_years is None:
            unknown.append(point)
        else:
            grouped.setdefault(math.floor(point.disease_duration_years / width_years), []).append(
                point
            )
    bands = []
    if grouped:
        for index in range(min(grouped), max(grouped) + 1):
            lower, upper = index * width_years, (index + 1) * width_years
            bands.append(_band(f"{lower:g}-{upper:g}", lower, upper, grouped.get(index, [])))
    if unknown:
        bands.append(_band(UNKNOWN_DURATION, None, None, unknown))
    return bands


def _band(
    label: str, lower: float | None, upper: float | None, points: list[DurationPoint]
) -> DurationBand:
    if not points:
        return DurationBand(label, lower, upper, 0, None, None, None, None)
    sld = [point.sum_longest_diameter_mm for point in points]
    counts = [point.lesion_count for point in points]
    return DurationBand(
        label,
        lower,
        upper,
        len(points),
        statistics.fmean(sld),
        statistics.median(sld),
        statistics.fmean(counts),
        statistics.median(counts),
    )
