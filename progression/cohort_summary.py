"""Cohort view of the stored progression snapshots (DOMAIN.md, "Calcinosis progression",
Cohort), for ``GET /api/v1/cohort/progression/`` with the patient list's filters.

Reads only each snapshot's status and series (a JSON key, not the tracks), then hands them to
the pure functions of :mod:`patients.cohort`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from patients.cohort import (
    duration_bands,
    duration_points,
    kaplan_meier,
    progression_free_time,
    status_counts,
)
from patients.models import Patient
from progression.models import ProgressionSnapshot
from progression.result_json import progression_from_json
from progression.rules import registry_rules


def cohort_progression_summary(
    patients: QuerySet[Patient], *, band_width_years: float = 5.0
) -> dict[str, Any]:
    """Counts by current status, SLD and lesion count by disease-duration band, and Kaplan-Meier
    estimates of the progression-free proportion against follow-up years and against disease
    duration (years since the first non-Raynaud manifestation), with numbers at risk.

    Patients without a snapshot yet are counted in ``not_computed``; ``stale`` counts snapshots
    whose data changed since, or computed under other rules than the registry's.
    """
    snapshots = ProgressionSnapshot.objects.filter(
        patient__in=patients.values("pk"), computed_at__isnull=False
    ).values_list(
        "status",
        "result__series",
        "rules",
        "data_version",
        "patient__progression_state__data_version",
    )
    rules = registry_rules().as_dict()
    statuses: list[str | None] = []
    points = []
    follow_up: list[tuple[float, bool]] = []
    by_duration: list[tuple[float, bool]] = []
    stale = 0
    for status, series, used_rules, version, current in snapshots:
        result = progression_from_json(status, series)
        statuses.append(result.status)
        points += duration_points(result)
        time = progression_free_time(result, scale="follow_up")
        if time is not None:
            follow_up.append(time)
        time = progression_free_time(result, scale="disease_duration")
        if time is not None:
            by_duration.append(time)
        stale += (current is not None and current > version) or used_rules != rules
    total = patients.count()
    return {
        "patients": total,
        "computed": len(statuses),
        "not_computed": total - len(statuses),
        "stale": stale,
        "rules": rules,
        "status_counts": status_counts(statuses),
        "duration_bands": {
            "measure": "years since the first non-Raynaud manifestation",
            "width_years": band_width_years,
            "bands": [band.to_dict() for band in duration_bands(points, band_width_years)],
        },
        "kaplan_meier": {
            "follow_up": kaplan_meier_json(follow_up),
            "disease_duration": kaplan_meier_json(by_duration),
        },
    }


def kaplan_meier_json(observations: Sequence[tuple[float, bool]]) -> dict[str, Any]:
    """Product-limit steps and numbers at risk at each whole year (those still followed and
    free of progression just before it). Negative times (a radiograph dated before the onset's
    midpoint) cannot enter the estimate and are counted in ``excluded``."""
    usable = [(time, event) for time, event in observations if time >= 0]
    last = max((time for time, _ in usable), default=0.0)
    return {
        "n": len(usable),
        "events": sum(event for _, event in usable),
        "excluded": len(observations) - len(usable),
        "steps": [step.to_dict() for step in kaplan_meier(usable)],
        "at_risk": [
            {"time_years": year, "at_risk": sum(time >= year for time, _ in usable)}
            for year in range(math.floor(last) + 1)
        ],
    }
