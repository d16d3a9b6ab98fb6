"""Rows of the "progression timepoints" level: one per region series and timepoint, from the
stored :class:`progression.models.ProgressionSnapshot` when it is current (same data version,
same rules), else computed now by the pure engine for a batch of patients (not stored).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from exports.pseudonyms import PatientDates, transform_date
from progression.engine.grading import compute_progression
from progression.engine.rules import Rules
from progression.loading import load_inputs
from progression.models import ProgressionSnapshot
from progression.result_json import series_json


def timepoint_rows(
    series: list[Mapping[str, Any]], pseudonym: str, dates: PatientDates
) -> list[tuple]:
    """Pure: the rows of one patient's series (``PatientProgression.to_dict()["series"]``), in
    the column order of :func:`exports.levels.progression_columns`."""
    rows = []
    for one in series:
        for number, timepoint in enumerate(one["timepoints"], start=1):
            rows.append(
                (
                    pseudonym,
                    one["body_region"],
                    one["laterality"],
                    number,
                    transform_date(date.fromisoformat(timepoint["date"]), dates),
                    timepoint["disease_duration_years"],
                    timepoint.get("raynaud_duration_years"),
                    timepoint["lesion_count"],
                    timepoint["sum_longest_diameter_mm"],
                    timepoint["total_area_mm2"],
                    timepoint["status"],
                    len(timepoint["new_tracks"]),
                    one["growth_rate_mm_per_year"],
                    one["time_to_progression_years"],
                    one["censored_at_years"],
                )
            )
    return rows


def series_of(patient_ids: list[int], rules: Rules) -> tuple[dict[int, list], dict[int, str]]:
    """Each patient's series: the snapshot if current under ``rules``, else computed now.
    Returns (series by patient, engine errors by patient)."""
    series: dict[int, list] = {}
    current = ProgressionSnapshot.objects.filter(pk__in=patient_ids).current(rules)
    for pk, result in current.values_list("pk", "result"):
        series[pk] = series_json(result)
    errors: dict[int, str] = {}
    missing = [pk for pk in patient_ids if pk not in series]
    for pk, inputs in load_inputs(missing).items():
        try:
            result = compute_progression(**inputs.engine_arguments(), rules=rules)
        except ValueError as error:
            errors[pk] = str(error)
            continue
        series[pk] = result.to_dict()["series"]
    return series, errors


def progression_batches(
    map_batches: Iterator[list[tuple]], *, date_mode: str, rules: Rules, errors: dict[int, str]
) -> Iterator[list[tuple]]:
    """Timepoint rows for batches of map rows ``(patient_id, pseudonym, offset, anchor)``;
    patients the engine refuses are left out and recorded in ``errors``."""
    for batch in map_batches:
        by_patient = {row[0]: row for row in batch}
        computed, failed = series_of(list(by_patient), rules)
        errors.update(failed)
        rows: list[tuple] = []
        for pk, (_pk, pseudonym, offset, anchor) in by_patient.items():
            anchor_date = date.fromisoformat(anchor) if isinstance(anchor, str) else anchor
            dates = PatientDates(date_mode, offset, anchor_date)
            rows += timepoint_rows(computed.get(pk, []), pseudonym, dates)
        if rows:
            yield rows
