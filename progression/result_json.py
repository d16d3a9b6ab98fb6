"""The JSON the API serves for a patient's progression, and its reading back for cohort views.

Stored form (``ProgressionSnapshot.result``): ``PatientProgression.to_dict()``'s ``series`` and
``tracks``, with each track's engine key (``t12``, ``new-1``) resolved to the database id it got,
so ``new_tracks`` and ``tracks[].key`` name the same rows the API lists. A result computed on
the fly (rule overrides, not stored) keeps ``new-N`` keys with ``id`` null for tracks that do not
exist in the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from patients.cohort import NO_RADIOGRAPH
from patients.progression import PatientProgression, Rules, SeriesResult, Timepoint


def status_value(result: PatientProgression) -> str:
    """The patient's status as stored and served; ``no_radiograph`` when the engine says None."""
    return NO_RADIOGRAPH if result.status is None else str(result.status)


def result_json(result: PatientProgression, track_ids: Mapping[str, int | None]) -> dict[str, Any]:
    """``series`` and ``tracks`` of ``result``, track keys resolved through ``track_ids``
    (engine key -> database id, None for a track not in the database)."""
    data = result.to_dict()
    keys = {key: key if pk is None else f"t{pk}" for key, pk in track_ids.items()}
    tracks = []
    for track in data["tracks"]:
        engine_key = track["ref"]["key"]
        tracks.append(
            {
                "id": track_ids.get(engine_key),
                "key": keys.get(engine_key, engine_key),
                "site": track["site"],
                "observations": track["observations"],
            }
        )
    series = data["series"]
    for one in series:
        for timepoint in one["timepoints"]:
            timepoint["new_tracks"] = [keys.get(key, key) for key in timepoint["new_tracks"]]
    return {"series": series, "tracks": tracks}


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
    """The shape of ``GET /api/v1/patients/{id}/progression/`` (issue 5)."""
    return {
        "status": status,
        "computed_at": None if computed_at is None else computed_at.isoformat(),
        "stale": stale,
        "rules": dict(rules),
        "series": list(result.get("series", [])),
        "tracks": list(result.get("tracks", [])),
    }


def series_from_json(series: list[Mapping[str, Any]] | None) -> list[SeriesResult]:
    """Stored series back as engine objects, for :mod:`patients.cohort` (values as rounded)."""
    return [
        SeriesResult(
            body_region=one["body_region"],
            laterality=one["laterality"],
            timepoints=[
                Timepoint(
                    date=date.fromisoformat(tp["date"]),
                    disease_duration_years=tp["disease_duration_years"],
                    raynaud_duration_years=tp.get("raynaud_duration_years"),
                    lesion_count=tp["lesion_count"],
                    sum_longest_diameter_mm=tp["sum_longest_diameter_mm"],
                    total_area_mm2=tp["total_area_mm2"],
                    status=tp["status"],
                    new_tracks=list(tp["new_tracks"]),
                )
                for tp in one["timepoints"]
            ],
            growth_rate_mm_per_year=one["growth_rate_mm_per_year"],
            time_to_progression_years=one["time_to_progression_years"],
            censored_at_years=one["censored_at_years"],
        )
        for one in series or []
    ]


def progression_from_json(
    status: str, series: list[Mapping[str, Any]] | None
) -> PatientProgression:
    """A stored snapshot as a :class:`PatientProgression` holding its series (no tracks)."""
    return PatientProgression(
        status=None if status == NO_RADIOGRAPH else status,
        rules=Rules(),
        series=series_from_json(series),
        tracks=[],
        assignments={},
    )
