"""Which patients an export holds, and each one's pseudonym and date parameters.

The filters are the patient list's (:class:`patients.filtersets.PatientFilterSet`), so an export
selects exactly the cohort the API lists; filters naming one person (local or registry id) are
refused: an export describes cohorts, never selects individuals. A researcher's filters are
limited to what researchers read (:data:`accounts.research_fields.EXPORT_FILTERS`: a birth
year, not a date).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.datastructures import MultiValueDict

from accounts import research_fields
from accounts.access import research_consented
from exports.pseudonyms import (
    SHIFT,
    PatientDates,
    date_offset_days,
    pseudonym,
    transform_birth,
    transform_date,
)
from imaging.models import CalcinosisLesion, Radiograph, RadiographicFinding
from patients.filtersets import PatientFilterSet
from patients.models import CalcinosisTreatment, Patient, Visit
from patients.partial_dates import DAY, PartialDate

IDENTIFYING_FILTERS = ("local_id", "registry_id")
UNKNOWN_FILTER = "Unknown filter; allowed: {allowed}."
IDENTIFYING_FILTER = "An export selects a cohort, not a person: this filter is not allowed."


def _range_suffixes(name: str, flt) -> set[str]:
    widget = getattr(getattr(flt, "field_class", None), "widget", None)
    return {f"{name}_{suffix}" for suffix in getattr(widget, "suffixes", ())}


def allowed_filters(*, research: bool = False) -> list[str]:
    """The query parameters of the patient list an export accepts (range filters as
    ``<name>_after`` / ``<name>_before`` or ``_min`` / ``_max`` like the API); a researcher's
    are the research allow-list's."""
    names: set[str] = set()
    for name, flt in PatientFilterSet.base_filters.items():
        if name in IDENTIFYING_FILTERS:
            continue
        names |= _range_suffixes(name, flt) or {name}
    if research:
        names &= research_fields.EXPORT_FILTERS
    return sorted(names)


def filter_errors(filters: Mapping[str, Any], *, research: bool = False) -> dict[str, list[str]]:
    allowed = allowed_filters()
    research_allowed = allowed_filters(research=True)
    errors: dict[str, list[str]] = {}
    for name in filters:
        if any(name == f or name.startswith(f"{f}_") for f in IDENTIFYING_FILTERS):
            errors[name] = [IDENTIFYING_FILTER]
        elif name not in allowed:
            errors[name] = [UNKNOWN_FILTER.format(allowed=", ".join(allowed))]
        elif research and name not in research_allowed:
            errors[name] = [research_fields.NOT_AVAILABLE]
    return errors


def _as_query(filters: Mapping[str, Any]) -> MultiValueDict:
    data = MultiValueDict()
    for name, value in filters.items():
        values = value if isinstance(value, list | tuple) else [value]
        data.setlist(name, [str(v).lower() if isinstance(v, bool) else str(v) for v in values])
    return data


def selected_patients(
    *, filters: Mapping[str, Any], center_ids: list[int] | None, research: bool = False
) -> QuerySet[Patient]:
    """Patients matching ``filters`` among ``center_ids`` (None: every center); ValidationError
    naming the filter when one is unknown, identifying, malformed or (``research``) not on the
    research allow-list. ``research``: only patients whose consent allows research use (the
    access rule's :func:`accounts.access.research_consented`)."""
    errors = filter_errors(filters, research=research)
    if errors:
        raise ValidationError(errors)
    queryset = Patient.objects.all()
    if center_ids is not None:
        queryset = queryset.filter(center_id__in=center_ids)
    filterset = PatientFilterSet(data=_as_query(filters), queryset=queryset, research=research)
    if not filterset.is_valid():
        raise ValidationError({name: list(msgs) for name, msgs in filterset.errors.items()})
    patients = filterset.qs.order_by()
    return research_consented(patients) if research else patients


def row_estimate(patients: QuerySet[Patient], level: str) -> int:
    """Rows an export of ``level`` will have (progression: region series dates, bilateral
    radiographs counted once): the XLSX limit is checked before any work."""
    if level == "patients":
        return patients.count()
    if level == "visits":
        return Visit.objects.filter(patient__in=patients).count()
    if level == "treatments":
        return CalcinosisTreatment.objects.filter(patient__in=patients).count()
    if level == "findings":
        return RadiographicFinding.objects.filter(radiograph__patient__in=patients).count()
    radiographs = Radiograph.objects.filter(patient__in=patients)
    if level == "radiographs":
        return radiographs.count()
    if level == "lesions":
        return CalcinosisLesion.objects.filter(radiograph__patient__in=patients).count()
    series_dates = radiographs.values("patient", "body_region", "laterality", "acquired_on")
    return series_dates.distinct().count()


def midpoint(value: date | None, precision: str) -> date | None:
    """DOMAIN.md: a partial date counts from the middle of its period."""
    return None if value is None else PartialDate(value, precision or DAY).midpoint()


@dataclass(frozen=True)
class MapRow:
    """One patient's row of the temporary patient map (exports.sql.PATIENT_MAP_COLUMNS)."""

    patient_id: int
    pseudonym: str
    dates: PatientDates
    birth: date | int | str | None  # str: a 5-year band (exports.disclosure)
    raynaud_onset: date | int | None
    first_onset: date | int | None

    def as_tuple(self) -> tuple:
        return (
            self.patient_id,
            self.pseudonym,
            self.dates.offset_days,
            self.dates.anchor,
            self.birth,
            self.raynaud_onset,
            self.first_onset,
        )


PATIENT_VALUES = (
    "pk",
    "registry_id",
    "birth_date",
    "raynaud_onset",
    "raynaud_onset_precision",
    "first_non_raynaud_onset",
    "first_non_raynaud_onset_precision",
)


def map_row(values: tuple, *, key: bytes, date_mode: str, max_shift_days: int) -> MapRow:
    """Pure: a patient's map row from :data:`PATIENT_VALUES`."""
    pk, registry_id, birth, raynaud, raynaud_precision, first, first_precision = values
    anchor = midpoint(first, first_precision)
    offset = date_offset_days(key, registry_id, max_shift_days) if date_mode == SHIFT else 0
    dates = PatientDates(date_mode, offset, anchor)
    return MapRow(
        pk,
        pseudonym(key, registry_id),
        dates,
        transform_birth(birth, dates),
        transform_date(midpoint(raynaud, raynaud_precision), dates),
        transform_date(anchor, dates),
    )
