"""Recording a whole follow-up at once: the visit, its treatments, the radiographs of the day
with their findings and lesions. All or nothing, errors attributed to the row they concern."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models, transaction

from imaging.models import CalcinosisLesion, Radiograph, RadiographicFinding
from imaging.services import finding_save, lesion_save, radiograph_save
from patients.models import CalcinosisTreatment, Patient, Visit
from patients.services import treatment_save, visit_save


@dataclass
class RadiographEntry:
    """A radiograph of the visit's date; lesions and findings carry their form row number."""

    body_region: str
    laterality: str
    view: str
    spacing_mm: float | None = None
    lesions: list[tuple[int, CalcinosisLesion]] = field(default_factory=list)
    findings: list[tuple[int, RadiographicFinding]] = field(default_factory=list)


class FollowUpErrors(Exception):
    """Validation errors keyed by (section, row): ("visit", 0), ("lesion", 2), ..."""

    def __init__(self, errors: dict[tuple[str, int], ValidationError]):
        super().__init__(f"{len(errors)} invalid entries")
        self.errors = errors


def follow_up_save(
    *,
    patient: Patient,
    visit: Visit,
    treatments: list[CalcinosisTreatment],
    radiographs: list[RadiographEntry],
) -> Visit:
    """Save everything or nothing. Every row is validated even after a first error, so the
    user sees all the problems at once."""
    errors: dict[tuple[str, int], ValidationError] = {}
    created: list[models.Model] = []

    def attempt(key: tuple[str, int], save, instance) -> None:
        try:
            save(instance)
            created.append(instance)
        except ValidationError as exc:
            errors[key] = exc

    with transaction.atomic():
        visit.patient = patient
        attempt(("visit", 0), lambda v: visit_save(visit=v), visit)
        for index, treatment in enumerate(treatments):
            treatment.patient, treatment.visit = patient, visit if visit.pk else None
            attempt(("treatment", index), lambda t: treatment_save(treatment=t), treatment)
        for index, entry in enumerate(radiographs):
            radiograph = Radiograph(
                patient=patient,
                visit=visit if visit.pk else None,
                acquired_on=visit.date,
                body_region=entry.body_region,
                laterality=entry.laterality,
                view=entry.view,
                pixel_spacing_row_mm=entry.spacing_mm,
                pixel_spacing_column_mm=entry.spacing_mm,
                pixel_spacing_source="manual" if entry.spacing_mm else "",
            )
            attempt(("radiograph", index), lambda r: radiograph_save(radiograph=r), radiograph)
            if radiograph.pk is None:
                continue
            for row, lesion in entry.lesions:
                lesion.radiograph = radiograph
                attempt(("lesion", row), lambda obj: lesion_save(lesion=obj), lesion)
            for row, finding in entry.findings:
                finding.radiograph = radiograph
                attempt(("finding", row), lambda obj: finding_save(finding=obj), finding)
        if errors:
            transaction.set_rollback(True)
    if errors:
        for instance in created:  # rolled back: the objects are unsaved again
            instance.pk = None
            instance._state.adding = True
        raise FollowUpErrors(errors)
    return visit
