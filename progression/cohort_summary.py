"""Cohort view of the stored progression snapshots (DOMAIN.md, "Calcinosis progression",
Cohort), for ``GET /api/v1/cohort/progression/`` with the patient list's filters.

Reads only each snapshot's status and series (a JSON key, not the tracks), then hands them to
the pure functions of :mod:`progression.engine.cohort`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from patients.models import Patient
from progression.engine.cohort import (
    duration_bands,
    duration_points,
    kaplan_meier,
    progression_free_time,
    status_counts,
)
from progression.models import ProgressionSnapshot
from progression.registry_rules import registry_rules
from progression.result_json import progression_from_json


def cohort_progression_summary(
    patients: QuerySet[Patient], *, band_width_years: float = 5.0
) -> dict[str, Any]:
    """Counts by current status, SLD and lesion count by disease-duration band, and Kaplan-Meier
    estimates of the progression-free proportion against follow-up years and against disease
    duration (years since the first non-Raynaud manifestation), with numbers at risk.

    Patients without a snapshot yet are counted in ``not_computed``; ``stale`` counts snapshots
    whose data changed since, or computed under other rules than the registry's.
    """
    registry = registry_rules()
    snapshots = (
        ProgressionSnapshot.objects.filter(
            patient__in=patients.values("pk"), computed_at__isnull=False
        )
        .with_is_current(registry)
        .values_list("status", "result__series", "is_current")
    )
    rules = registry.as_dict()
    statuses: list[str | None] = []
    points = []
    follow_up: list[tuple[float, bool]] = []
    by_duration: list[tuple[float, bool]] = []
    stale = 0
    for status, series, current in snapshots:
        result = progression_from_json(status, series)
        statuses.append(result.status)
        points += duration_points(result)
        time = progression_free_time(result, scale="follow_up")
        if time is not None:
            follow_up.append(time)
        time = progression_free_time(result, scale="disease_duration")
        if time is not None:
            by_duration.append(time)
        stale += not current
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


SUPPRESSED = (
    "Counts from 1 to {limit} (REGISTRY_MIN_CELL_SIZE minus one) are suppressed (null) for "
    "researchers, and so is every statistic of a cohort or band that small."
)


def cohort_summary_suppressed(summary: dict[str, Any], *, min_cell: int) -> dict[str, Any]:
    """Pure: a researcher's copy of ``summary`` where no count from 1 to ``min_cell - 1`` shows.

    A cohort below ``min_cell`` keeps only its shape (every count null, no band, no curve); a
    larger one loses its small cells, its small bands' statistics, and the Kaplan-Meier steps
    and numbers at risk once fewer than ``min_cell`` remain at risk (docs/security.md).
    """
    small = summary["patients"] < min_cell

    def cell(value: int) -> int | None:
        return None if small else cell_suppressed(value, min_cell)

    bands = summary["duration_bands"]
    return {
        "patients": None if small else summary["patients"],
        "computed": cell(summary["computed"]),
        "not_computed": cell(summary["not_computed"]),
        "stale": cell(summary["stale"]),
        "rules": summary["rules"],
        "status_counts": {
            status: cell(count)
            for status, count in summary["status_counts"].items()
        },
        "duration_bands": {
            **bands,
            "bands": [] if small else [_band_suppressed(b, min_cell) for b in bands["bands"]],
        },
        "kaplan_meier": {
            scale: _kaplan_meier_suppressed(curve, min_cell, small)
            for scale, curve in summary["kaplan_meier"].items()
        },
        "suppressed": SUPPRESSED.format(limit=min_cell - 1),
    }


def cell_suppressed(value: int, min_cell: int) -> int | None:
    """A count a researcher may see: null from 1 to ``min_cell - 1``."""
    return None if 0 < value < min_cell else value


def _band_suppressed(band: dict[str, Any], min_cell: int) -> dict[str, Any]:
    if not 0 < band["n"] < min_cell:
        return band
    kept = ("label", "lower_years", "upper_years")
    return {key: value if key in kept else None for key, value in band.items()}


def _kaplan_meier_suppressed(curve: dict[str, Any], min_cell: int, small: bool) -> dict[str, Any]:
    if small:
        return {"n": None, "events": None, "excluded": None, "steps": [], "at_risk": []}
    return {
        "n": cell_suppressed(curve["n"], min_cell),
        "events": cell_suppressed(curve["events"], min_cell),
        "excluded": cell_suppressed(curve["excluded"], min_cell),
        # A step's own event and censoring counts are cells too (review finding: a step printed
        # "1 progressed" under a cohort whose progression count read "fewer than N").
        "steps": [
            {
                **step,
                "events": cell_suppressed(step["events"], min_cell),
                "censored": cell_suppressed(step["censored"], min_cell),
            }
            for step in curve["steps"]
            if step["at_risk"] >= min_cell
        ],
        "at_risk": [row for row in curve["at_risk"] if row["at_risk"] >= min_cell],
    }
