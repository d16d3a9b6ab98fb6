"""The only writers of patients, subtype assessments, visits and treatments.

The admin, the REST API, the CLI and the seeding command all call these, so every path computes
the same derived values (ACR/EULAR score, mRSS total) and meets the same validation.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from patients.classification import acr_eular_2013_score
from patients.models import CalcinosisTreatment, Patient, SubtypeAssessment, Visit
from patients.mrss import mrss_site_errors, mrss_total
from patients.validation import today
from progression.services import progression_mark_dirty
from registry.db import save_validated


@transaction.atomic
def patient_save(*, patient: Patient, subtype_assessed_on: date | None = None) -> Patient:
    """Create or update a patient. The score is recomputed from the items; a new or changed
    subtype is recorded as an assessment dated ``subtype_assessed_on`` (default today)."""
    patient.acr_eular_2013_score = acr_eular_2013_score(patient.classification_items())
    previous_subtype = (
        Patient.objects.filter(pk=patient.pk).values_list("ssc_subtype", flat=True).first()
        if patient.pk
        else None
    )
    save_validated(patient)
    if previous_subtype != patient.ssc_subtype:
        SubtypeAssessment.objects.update_or_create(
            patient=patient,
            assessed_on=subtype_assessed_on or today(),
            defaults={"subtype": patient.ssc_subtype},
        )
    progression_mark_dirty(patient_id=patient.pk)
    return patient


@transaction.atomic
def patient_delete(*, patient: Patient, reason: str) -> None:
    """Delete a patient and everything recorded about them; the history keeps who, when, why."""
    if not reason.strip():
        raise ValueError("Deleting a patient needs a reason.")
    patient._change_reason = reason
    patient.delete()


@transaction.atomic
def visit_save(*, visit: Visit) -> Visit:
    """Create or update a visit; 17 valid mRSS site scores give the total."""
    sites = visit.mrss_sites
    if isinstance(sites, dict) and not mrss_site_errors(sites) and visit.mrss_total is None:
        visit.mrss_total = mrss_total(sites)
    save_validated(visit)
    progression_mark_dirty(patient_id=visit.patient_id)
    return visit


@transaction.atomic
def visit_delete(*, visit: Visit, reason: str) -> None:
    """Delete a visit; its radiographs stay (unlinked). The history keeps who, when, why; the
    progression is marked by the deletion signal (:mod:`progression.signals`)."""
    if not reason.strip():
        raise ValueError("Deleting a visit needs a reason.")
    visit._change_reason = reason
    visit.delete()


@transaction.atomic
def treatment_save(*, treatment: CalcinosisTreatment) -> CalcinosisTreatment:
    return save_validated(treatment)
