"""The rows of an export's temporary patient map (:data:`exports.sql.PATIENT_MAP_COLUMNS`),
decided with its re-identification risk (:mod:`exports.disclosure`).

Every selected patient's values are read once, in keyset pages of one query each (the first visit
is a subquery on the visits' (patient, date) index); the report, and for a generalized export the
plan, are computed over them; the map then holds each patient's pseudonym and dates in the
effective date mode, the birth as its band once generalized, the center as exported ("(other)" for
a small center), and no row for a suppressed patient, so every level (each joins the map) leaves
them out. 100,000 patients are about 100,000 small tuples in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery

from exports.disclosure import OTHER_CENTER, Disclosure, Subject, birth_band, plan
from exports.selection import PATIENT_VALUES, MapRow, map_row, midpoint
from patients.models import Patient, Visit

MAP_BATCH = 2000
# Read beside PATIENT_VALUES: the quasi-identifiers the map itself does not hold.
QUASI_VALUES = ("sex", "center__code", "ssc_subtype", "first_visit")


@dataclass(frozen=True)
class PatientMap:
    """The map's rows (patient key order), the patients selected before any suppression, and
    the risk report and plan."""

    rows: list[tuple]
    selected: int
    disclosure: Disclosure

    def batches(self) -> Iterator[list[tuple]]:
        for start in range(0, len(self.rows), MAP_BATCH):
            yield self.rows[start:start + MAP_BATCH]


def patient_values(patients: QuerySet[Patient]) -> list[tuple]:
    """:data:`PATIENT_VALUES` and :data:`QUASI_VALUES` of ``patients``, by primary key. The
    first visit is a subquery, not an aggregate over the selection's joins: a visit-date filter
    must not narrow it to the visits it matched."""
    first_visit = Visit.objects.filter(patient=OuterRef("pk")).order_by("date").values("date")
    ordered = patients.order_by("pk").annotate(first_visit=Subquery(first_visit[:1]))
    values: list[tuple] = []
    last = 0
    while True:
        page = list(
            ordered.filter(pk__gt=last).values_list(*PATIENT_VALUES, *QUASI_VALUES)[:MAP_BATCH]
        )
        if not page:
            return values
        values += page
        last = page[-1][0]


def subject_of(values: tuple, row: MapRow) -> Subject:
    """The quasi-identifiers of one patient's ``values`` (read with its map ``row``)."""
    pk, _id, birth, raynaud, raynaud_precision, _first, _precision, *quasi = values
    sex, center, subtype, visit = quasi
    return Subject(pk, sex, birth, center, subtype, midpoint(raynaud, raynaud_precision),
                   row.dates.anchor, visit, row.dates.offset_days)


def patient_map(
    patients: QuerySet[Patient], *, key: bytes, date_mode: str, generalize: bool,
    calendar_dates: bool = False,
) -> PatientMap:
    """The patient map of an export of ``patients`` requested with ``date_mode``; with
    ``generalize``, as :func:`exports.disclosure.plan` leaves it (``calendar_dates``: FHIR)."""
    max_days = settings.REGISTRY_EXPORT_DATE_SHIFT_DAYS
    values = patient_values(patients)
    width = len(PATIENT_VALUES)

    def rows_in(mode: str) -> list[MapRow]:
        return [map_row(v[:width], key=key, date_mode=mode, max_shift_days=max_days)
                for v in values]

    rows = rows_in(date_mode)
    subjects = [subject_of(v, row) for v, row in zip(values, rows, strict=True)]
    disclosure = plan(
        subjects,
        k_threshold=settings.REGISTRY_EXPORT_K_ANONYMITY,
        date_mode=date_mode,
        generalize=generalize,
        small_center=settings.REGISTRY_EXPORT_SMALL_CENTER,
        calendar_dates=calendar_dates,
    )
    if disclosure.date_mode != date_mode:
        rows = rows_in(disclosure.date_mode)
    other = disclosure.generalization.other_centers
    mapped = []
    for row, subject in zip(rows, subjects, strict=True):
        if subject.patient_id in disclosure.suppressed:
            continue
        if disclosure.banded:
            row = replace(row, birth=birth_band(subject.birth.year if subject.birth else None))
        center = OTHER_CENTER if subject.center in other else subject.center
        mapped.append((*row.as_tuple(), center))
    return PatientMap(mapped, len(values), disclosure)
