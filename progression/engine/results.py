"""Results of the progression engine (:mod:`progression.engine.grading`), JSON-ready by ``to_dict``.

Values are kept as computed; ``to_dict`` rounds mm (and mm^2, mm/year) to 2 decimals and years to
3, and writes dates as ISO strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, NamedTuple

from progression.engine.rules import Rules


class TrackStatus(StrEnum):
    BASELINE = "baseline"
    NEW = "new"
    PROGRESSED = "progressed"
    REGRESSED = "regressed"
    STABLE = "stable"
    RESOLVED = "resolved"


class SeriesStatus(StrEnum):
    BASELINE = "baseline"
    PROGRESSION = "progression"
    COMPLETE_RESOLUTION = "complete_resolution"
    REGRESSION = "regression"
    STABLE = "stable"


# The patient's status is the most severe latest series status (most severe first).
SEVERITY = (
    SeriesStatus.PROGRESSION,
    SeriesStatus.STABLE,
    SeriesStatus.REGRESSION,
    SeriesStatus.COMPLETE_RESOLUTION,
    SeriesStatus.BASELINE,
)


def round_mm(value: float | None) -> float | None:
    """mm, mm^2 and mm/year as results show them: 2 decimals."""
    return None if value is None else round(value, 2)


def round_years(value: float | None) -> float | None:
    """Years as results show them: 3 decimals."""
    return None if value is None else round(value, 3)


class TrackRef(NamedTuple):
    """``existing_id`` None: the caller creates a track row for ``key`` (e.g. "new-1")."""

    key: str
    existing_id: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "existing_id": self.existing_id}


class Observation(NamedTuple):
    date: date
    longest_diameter_mm: float | None  # None when resolved
    perpendicular_diameter_mm: float | None
    area_mm2: float | None
    status: str
    lesion_ids: Sequence[int] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "longest_diameter_mm": round_mm(self.longest_diameter_mm),
            "perpendicular_diameter_mm": round_mm(self.perpendicular_diameter_mm),
            "area_mm2": round_mm(self.area_mm2),
            "status": str(self.status),
            "lesion_ids": list(self.lesion_ids),
        }


class TrackResult(NamedTuple):
    """``site`` is authoritative: a reused track row takes it (a lesion's site may be edited)."""

    ref: TrackRef
    site: dict[str, Any]
    observations: list[Observation]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref.to_dict(),
            "site": dict(self.site),
            "observations": [observation.to_dict() for observation in self.observations],
        }


class Timepoint(NamedTuple):
    date: date
    disease_duration_years: float | None  # since the first non-Raynaud manifestation (EUSTAR)
    raynaud_duration_years: float | None
    lesion_count: int
    sum_longest_diameter_mm: float
    total_area_mm2: float
    status: str
    new_tracks: Sequence[str] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "disease_duration_years": round_years(self.disease_duration_years),
            "raynaud_duration_years": round_years(self.raynaud_duration_years),
            "lesion_count": self.lesion_count,
            "sum_longest_diameter_mm": round_mm(self.sum_longest_diameter_mm),
            "total_area_mm2": round_mm(self.total_area_mm2),
            "status": str(self.status),
            "new_tracks": list(self.new_tracks),
        }


@dataclass(frozen=True)
class SeriesResult:
    body_region: str
    laterality: str
    timepoints: list[Timepoint]
    growth_rate_mm_per_year: float | None
    time_to_progression_years: float | None
    censored_at_years: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "body_region": self.body_region,
            "laterality": self.laterality,
            "timepoints": [timepoint.to_dict() for timepoint in self.timepoints],
            "growth_rate_mm_per_year": round_mm(self.growth_rate_mm_per_year),
            "time_to_progression_years": round_years(self.time_to_progression_years),
            "censored_at_years": round_years(self.censored_at_years),
        }


@dataclass(frozen=True)
class PatientProgression:
    status: str | None  # None: the patient has no radiograph
    rules: Rules
    series: list[SeriesResult]
    tracks: list[TrackResult]
    assignments: dict[int, TrackRef]  # lesion id -> its track

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; assignment keys are lesion ids as strings (JSON object keys)."""
        return {
            "status": None if self.status is None else str(self.status),
            "rules": self.rules.as_dict(),
            "series": [series.to_dict() for series in self.series],
            "tracks": [track.to_dict() for track in self.tracks],
            "assignments": {str(k): ref.to_dict() for k, ref in self.assignments.items()},
        }
