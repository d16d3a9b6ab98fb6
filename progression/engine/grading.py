"""Calcinosis progression: DOMAIN.md, "Calcinosis progression: the registry's rules".

Grading, the engine's entry point. Pure Python (no Django, no ORM): services, the API, Celery
tasks and the CLI pass plain values to :func:`compute_progression` and store what it returns.
The cut-offs follow Valenzuela et al., Semin Arthritis Rheum 2022;53:151980 (+/-25 % change),
the structure RECIST 1.1 (sum of longest diameters, progression from the nadir, an absolute
floor against measurement noise); every threshold is a setting
(:class:`progression.engine.rules.Rules`) and is returned with each result.

Comparisons are inclusive and exact: diameters are compared as the decimals they were entered as
(:func:`as_entered`), never rounded; results are rounded only by ``to_dict``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from patients.duration import years_between
from progression.engine.inputs import LesionIn, RadiographIn, TrackIn
from progression.engine.matching import (
    MatchedTrack,
    Placed,
    SeriesKey,
    as_entered,
    match_tracks,
    place_lesions,
    series_keys,
)
from progression.engine.results import (
    SEVERITY,
    Observation,
    PatientProgression,
    SeriesResult,
    SeriesStatus,
    Timepoint,
    TrackRef,
    TrackResult,
    TrackStatus,
)
from progression.engine.rules import Rules

REGION_ORDER = ("hand", "wrist", "forearm", "elbow", "knee", "foot", "other")
QUARTER_PI = math.pi / 4
NEW = TrackStatus.NEW
DEFAULT_RULES = Rules()


def compute_progression(
    *,
    radiographs: Sequence[RadiographIn],
    lesions: Sequence[LesionIn],
    tracks: Sequence[TrackIn] = (),
    rules: Rules = DEFAULT_RULES,
    first_non_raynaud_onset: date | None = None,
    raynaud_onset: date | None = None,
) -> PatientProgression:
    """Match the patient's lesions to tracks and grade every track, series and the patient.

    Onset dates are already resolved from partial dates (middle of the period). ValueError on
    inconsistent input (a lesion on an unknown radiograph, a chosen track of another series...).
    """
    matched = match_tracks(place_lesions(radiographs, lesions), tracks)
    dates: dict[SeriesKey, set[date]] = {}
    for radiograph in radiographs:
        for key in series_keys(radiograph):
            dates.setdefault(key, set()).add(radiograph.acquired_on)
    timepoints = {key: sorted(dates[key]) for key in sorted(dates, key=_series_key)}
    grading = _Grading.of(rules)
    by_series: dict[SeriesKey, list[TrackResult]] = {key: [] for key in timepoints}
    for track in matched:  # in order of first lesion, which each series keeps
        by_series[track.series].append(_track_result(track, timepoints[track.series], grading))
    onsets = (first_non_raynaud_onset, raynaud_onset)
    series = [
        _series_result(key, days, by_series[key], grading, onsets)
        for key, days in timepoints.items()
    ]
    latest = {series_result.timepoints[-1].status for series_result in series}
    status = next((severity for severity in SEVERITY if severity in latest), None)
    assignments = {}
    for track in matched:
        ref = TrackRef(track.key, track.existing_id)
        for member in track.members:
            assignments[member.lesion.id] = ref
    return PatientProgression(
        status=status,
        rules=rules,
        series=series,
        tracks=[result for results in by_series.values() for result in results],
        assignments=dict(sorted(assignments.items())),
    )


class _Grading(NamedTuple):
    """The rules as the decimals they were set as (DOMAIN.md compares values as entered)."""

    floor: Decimal
    progression: Decimal
    regression: Decimal

    @classmethod
    def of(cls, rules: Rules) -> _Grading:
        return cls(
            as_entered(rules.absolute_floor_mm),
            as_entered(rules.progression_fraction),
            as_entered(rules.regression_fraction),
        )


def _series_key(key: SeriesKey) -> tuple[int, str, str]:
    region, laterality = key
    rank = REGION_ORDER.index(region) if region in REGION_ORDER else len(REGION_ORDER)
    return (rank, region, laterality)


def _measure(members: Sequence[Placed]) -> tuple[float, float | None, float]:
    """D = the largest longest diameter of the date's views (first in reading order on a tie),
    P from the same lesion; area = pi/4 * D * P, or pi/4 * D^2 when P is unknown."""
    best = members[0].lesion
    for member in members[1:]:
        if member.lesion.longest_diameter_mm > best.longest_diameter_mm:  # floats order as entered
            best = member.lesion
    longest, perpendicular = best.longest_diameter_mm, best.perpendicular_diameter_mm
    area = QUARTER_PI * longest * (longest if perpendicular is None else perpendicular)
    return longest, perpendicular, area


def _track_change(d0: Decimal, now: float, grading: _Grading) -> TrackStatus:
    """DOMAIN.md per track: delta = Dt - D0 against the floor and a fraction of D0, inclusive."""
    delta = as_entered(now) - d0
    if delta >= grading.floor and delta >= grading.progression * d0:
        return TrackStatus.PROGRESSED
    if -delta >= grading.floor and -delta >= grading.regression * d0:
        return TrackStatus.REGRESSED
    return TrackStatus.STABLE


def _track_result(track: MatchedTrack, days: list[date], grading: _Grading) -> TrackResult:
    members = track.members  # in reading order: a date's views are next to each other
    first_day = members[0].day
    d0: Decimal | None = None
    observations = []
    start = 0
    for day in days:
        if day < first_day:
            continue
        end = start
        while end < len(members) and members[end].day == day:
            end += 1
        if end == start:
            observations.append(Observation(day, None, None, None, TrackStatus.RESOLVED, []))
            continue
        seen = members[start:end]
        start = end
        longest, perpendicular, area = _measure(seen)
        if d0 is None:
            d0 = as_entered(longest)
            status = TrackStatus.BASELINE if day == days[0] else TrackStatus.NEW
        else:  # a resolved track that reappears is measured against D0 again
            status = _track_change(d0, longest, grading)
        ids = [member.lesion.id for member in seen]
        observations.append(Observation(day, longest, perpendicular, area, status, ids))
    region, laterality, digit, segment, tissue = track.site
    site = {
        "body_region": region,
        "laterality": laterality,
        "digit": digit,
        "segment": segment,
        "tissue": tissue,
    }
    return TrackResult(TrackRef(track.key, track.existing_id), site, observations)


def _series_status(sums: list[Decimal], index: int, new: bool, grading: _Grading) -> SeriesStatus:
    """DOMAIN.md per region series: the first rule that holds, in DOMAIN's order.

    A change of exactly zero is never progression or regression (this matters only with the
    floor set to 0, where 0 - 0 >= 0 would otherwise grade a series without deposits).
    """
    if index == 0:
        return SeriesStatus.BASELINE
    now, base, nadir = sums[index], sums[0], min(sums[:index])
    rise = now - nadir
    grew = rise > 0 and rise >= grading.floor and rise >= grading.progression * nadir
    if new or grew:
        return SeriesStatus.PROGRESSION
    if now == 0 and base > 0:
        return SeriesStatus.COMPLETE_RESOLUTION
    fall = base - now
    if fall > 0 and fall >= grading.floor and now <= (1 - grading.regression) * base:
        return SeriesStatus.REGRESSION
    return SeriesStatus.STABLE


def _ols_slope(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 2:
        return None
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def _series_result(
    key: SeriesKey,
    days: list[date],
    tracks: list[TrackResult],
    grading: _Grading,
    onsets: tuple[date | None, date | None],
) -> SeriesResult:
    seen_on: dict[date, list[tuple[str, Observation]]] = {day: [] for day in days}
    for track in tracks:  # in track order: sums and areas add up in the same order every time
        for observation in track.observations:
            if observation.longest_diameter_mm is not None:
                seen_on[observation.date].append((track.ref.key, observation))
    sums: list[Decimal] = []
    timepoints = []
    for index, day in enumerate(days):
        total, area, new = Decimal(), 0, []
        for track_key, obs in seen_on[day]:
            total += as_entered(obs.longest_diameter_mm)
            area += obs.area_mm2
            if obs.status == NEW:
                new.append(track_key)
        sums.append(total)
        timepoints.append(
            Timepoint(
                day,
                _duration(onsets[0], day),
                _duration(onsets[1], day),
                len(seen_on[day]),
                float(total),
                area,
                _series_status(sums, index, bool(new), grading),
                new,
            )
        )
    years = [years_between(days[0], day) for day in days]
    progressed = [
        t for t, tp in zip(years, timepoints, strict=True) if tp.status == SeriesStatus.PROGRESSION
    ]
    first_progression = progressed[0] if progressed else None
    return SeriesResult(
        body_region=key[0],
        laterality=key[1],
        timepoints=timepoints,
        growth_rate_mm_per_year=_ols_slope(years, [float(total) for total in sums]),
        time_to_progression_years=first_progression,
        censored_at_years=years[-1] if first_progression is None else None,
    )


def _duration(onset: date | None, day: date) -> float | None:
    return None if onset is None else years_between(onset, day)
