"""What the clinic's cohort page shows of a set of patients, from the stored snapshots.

The counts, the Kaplan-Meier curve and the rules are the API's cohort summary
(:func:`progression.cohort_summary.cohort_progression_summary`, suppressed for researchers
exactly as ``GET /api/v1/cohort/progression/`` does); the page adds the burden table by the usual
disease-duration groups with medians and interquartile ranges
(:mod:`progression.engine.duration_table`). Two reads of the snapshots whatever the cohort's
size, and no engine run: snapshots that are not computed yet are counted, not computed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from patients.models import Patient
from progression.cohort_charts import bar_width
from progression.cohort_summary import cohort_progression_summary, cohort_summary_suppressed
from progression.engine.cohort import DurationPoint, duration_points
from progression.engine.duration_table import (
    DurationRow,
    duration_table,
    duration_table_suppressed,
)
from progression.models import ProgressionSnapshot, SnapshotStatus
from progression.result_json import progression_from_json

NOT_COMPUTED = "not_computed"
NOT_COMPUTED_LABEL = "Not computed yet"


@dataclass(frozen=True)
class StatusRow:
    status: str
    label: str
    count: int | None  # None: suppressed (1 to min_cell - 1 patients)
    bar: float


@dataclass(frozen=True)
class CohortPage:
    patient_count: int  # for the access log only: a researcher's page may not show it
    summary: dict[str, Any]  # the API's summary (a researcher's: suppressed)
    statuses: list[StatusRow]
    duration_rows: list[DurationRow]
    small_cohort: bool  # a researcher's cohort below min_cell: nothing but its shape shows


def cohort_duration_points(patients: QuerySet[Patient]) -> list[tuple[int, DurationPoint]]:
    """Every region series timepoint of the patients' computed snapshots, with its patient."""
    snapshots = ProgressionSnapshot.objects.filter(
        patient__in=patients.values("pk"), computed_at__isnull=False
    ).values_list("patient_id", "status", "result__series")
    return [
        (patient_id, point)
        for patient_id, status, series in snapshots
        for point in duration_points(progression_from_json(status, series))
    ]


def cohort_page(patients: QuerySet[Patient], *, research: bool, min_cell: int) -> CohortPage:
    """The page's figures; for a researcher, no count from 1 to ``min_cell - 1`` shows."""
    summary = cohort_progression_summary(patients)
    rows = duration_table(cohort_duration_points(patients))
    shown = summary
    small = False
    if research:
        shown = cohort_summary_suppressed(summary, min_cell=min_cell)
        small = shown["patients"] is None
        rows = [] if small else duration_table_suppressed(rows, min_cell=min_cell)
    return CohortPage(
        patient_count=summary["patients"],
        summary=shown,
        statuses=status_rows(shown),
        duration_rows=rows,
        small_cohort=small,
    )


def status_rows(summary: dict[str, Any]) -> list[StatusRow]:
    """Patients per current status, most severe first, then those not computed yet."""
    labels = dict(SnapshotStatus.choices)
    counts = [(status, labels[status], count) for status, count in summary["status_counts"].items()]
    counts.append((NOT_COMPUTED, NOT_COMPUTED_LABEL, summary["not_computed"]))
    largest = max((count or 0 for _, _, count in counts), default=0)
    return [
        StatusRow(status, label, count, bar_width(count, largest))
        for status, label, count in counts
    ]
