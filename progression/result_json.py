"""The stored form of a patient's progression, and the JSON the API serves from it.

Stored form (``ProgressionSnapshot.result``, ``"format": 2``): the engine's ``series`` and
``tracks`` as rows of values, in the column orders below, with each track's engine key (``t12``,
``new-1``) resolved to the database id it got, so that ``new_tracks`` and the tracks' ``key``
name the rows the API lists. Values are rounded as ``to_dict`` rounds them, by the same
functions (mm and mm^2 to 2 decimals, years to 3). Rows instead of one object per observation:
a cohort recomputation writes every patient's snapshot, and the objects' repeated keys made the
documents 5.7 kB a patient against 2 kB, with PostgreSQL's jsonb parsing and compressing them
(0.33 s per 2,000 patients against 0.19 s, measured). :func:`series_json` and
:func:`tracks_json` give the API's objects.

A result computed on the fly (rule overrides, not stored) keeps ``new-N`` keys with ``id`` null
for tracks that do not exist in the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from progression.engine.cohort import NO_RADIOGRAPH
from progression.engine.results import (
    PatientProgression,
    SeriesResult,
    Timepoint,
    round_mm,
    round_years,
)
from progression.engine.rules import Rules
from registry.timestamps import utc_iso

FORMAT = 2
SERIES_COLUMNS = (
    "body_region",
    "laterality",
    "growth_rate_mm_per_year",
    "time_to_progression_years",
    "censored_at_years",
    "timepoints",
)
TIMEPOINT_COLUMNS = (
    "date",
    "disease_duration_years",
    "raynaud_duration_years",
    "lesion_count",
    "sum_longest_diameter_mm",
    "total_area_mm2",
    "status",
    "new_tracks",
)
TRACK_COLUMNS = ("id", "key", "body_region", "laterality", "digit", "segment", "tissue")
OBSERVATION_COLUMNS = (
    "date",
    "longest_diameter_mm",
    "perpendicular_diameter_mm",
    "area_mm2",
    "status",
    "lesion_ids",
)
SITE_COLUMNS = TRACK_COLUMNS[2:]


def status_value(result: PatientProgression) -> str:
    """The patient's status as stored and served; ``no_radiograph`` when the engine says None."""
    return NO_RADIOGRAPH if result.status is None else str(result.status)


def stored_result(
    result: PatientProgression, track_ids: Mapping[str, int | None]
) -> dict[str, Any]:
    """The stored form of ``result``, track keys resolved through ``track_ids`` (engine key ->
    database id, None for a track not in the database). Rows in the column orders above."""
    keys = {key: key if pk is None else f"t{pk}" for key, pk in track_ids.items()}
    iso: dict[date, str] = {}  # a patient has a handful of dates, each written many times

    def day(value: date) -> str:
        text = iso.get(value)
        if text is None:
            text = iso[value] = value.isoformat()
        return text

    series = [
        [
            one.body_region,
            one.laterality,
            round_mm(one.growth_rate_mm_per_year),
            round_years(one.time_to_progression_years),
            round_years(one.censored_at_years),
            [
                [
                    day(tp.date),
                    round_years(tp.disease_duration_years),
                    round_years(tp.raynaud_duration_years),
                    tp.lesion_count,
                    round_mm(tp.sum_longest_diameter_mm),
                    round_mm(tp.total_area_mm2),
                    tp.status,
                    [keys.get(key, key) for key in tp.new_tracks],
                ]
                for tp in one.timepoints
            ],
        ]
        for one in result.series
    ]
    tracks = [
        [
            track_ids.get(track.ref.key),
            keys.get(track.ref.key, track.ref.key),
            *(track.site[name] for name in SITE_COLUMNS),
            [
                [
                    day(obs.date),
                    round_mm(obs.longest_diameter_mm),
                    round_mm(obs.perpendicular_diameter_mm),
                    round_mm(obs.area_mm2),
                    obs.status,
                    list(obs.lesion_ids),
                ]
                for obs in track.observations
            ],
        ]
        for track in result.tracks
    ]
    return {"format": FORMAT, "series": series, "tracks": tracks}


def series_json(stored: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The stored series as the API's objects (``PatientProgression.to_dict()["series"]``)."""
    return [_series_object(row) for row in stored.get("series", [])]


def _series_object(row: list[Any]) -> dict[str, Any]:
    one = dict(zip(SERIES_COLUMNS, row, strict=True))
    one["timepoints"] = [dict(zip(TIMEPOINT_COLUMNS, tp, strict=True)) for tp in one["timepoints"]]
    return one


def tracks_json(stored: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The stored tracks as the API's objects: ``id``, ``key``, ``site``, ``observations``."""
    tracks = []
    for *head, observations in stored.get("tracks", []):
        track = dict(zip(TRACK_COLUMNS, head, strict=True))
        tracks.append(
            {
                "id": track["id"],
                "key": track["key"],
                "site": {name: track[name] for name in SITE_COLUMNS},
                "observations": [
                    dict(zip(OBSERVATION_COLUMNS, obs, strict=True)) for obs in observations
                ],
            }
        )
    return tracks


def engine_track_ids(result: PatientProgression) -> dict[str, int | None]:
    """Engine key -> the database id the engine reused (None for a track it would create)."""
    return {track.ref.key: track.ref.existing_id for track in result.tracks}


def detail_json(
    *,
    status: str,
    computed_at: datetime | None,
    stale: bool,
    rules: Mapping[str, float],
    result: Mapping[str, Any],
) -> dict[str, Any]:
    """The shape of ``GET /api/v1/patients/{id}/progression/`` (issue 5) from a stored result."""
    return {
        "status": status,
        "computed_at": None if computed_at is None else utc_iso(computed_at),
        "stale": stale,
        "rules": dict(rules),
        "series": series_json(result),
        "tracks": tracks_json(result),
    }


def series_from_json(series: list[list[Any]] | None) -> list[SeriesResult]:
    """Stored series rows back as engine objects, for :mod:`progression.engine.cohort` (values as
    rounded)."""
    results = []
    for row in series or []:
        one = _series_object(row)
        results.append(
            SeriesResult(
                body_region=one["body_region"],
                laterality=one["laterality"],
                timepoints=[
                    Timepoint(**{**tp, "date": date.fromisoformat(tp["date"])})
                    for tp in one["timepoints"]
                ],
                growth_rate_mm_per_year=one["growth_rate_mm_per_year"],
                time_to_progression_years=one["time_to_progression_years"],
                censored_at_years=one["censored_at_years"],
            )
        )
    return results


def progression_from_json(status: str, series: list[list[Any]] | None) -> PatientProgression:
    """A stored snapshot as a :class:`PatientProgression` holding its series (no tracks)."""
    return PatientProgression(
        status=None if status == NO_RADIOGRAPH else status,
        rules=Rules(),
        series=series_from_json(series),
        tracks=[],
        assignments={},
    )
