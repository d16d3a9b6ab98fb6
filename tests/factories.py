"""Small builders for test data, going through the services like every real writer."""

from __future__ import annotations

import itertools
from datetime import date

from accounts.access import access_of
from accounts.models import Center
from consent.models import ConsentDocument, Scope
from consent.services import consent_document_create, consent_record
from exports.models import ExportJob
from exports.services import export_scope
from imaging.models import CalcinosisLesion, LesionTrack, Radiograph
from imaging.services import lesion_save, radiograph_save, track_save
from patients.models import Patient, Visit
from patients.services import patient_save, visit_save

_counter = itertools.count(1)
# A password that passes AUTH_PASSWORD_VALIDATORS (12+ characters), for users that sign in.
PASSWORD = "synthetic-sign-in-2026"


def make_center(code: str | None = None, name: str = "Test clinic") -> Center:
    code = code or f"test-{next(_counter)}"
    return Center.objects.get_or_create(code=code, defaults={"name": name})[0]


def make_patient(center: Center | None = None, *, consent: bool = True, **fields) -> Patient:
    """A patient; ``consent`` records research and radiographs consent (False: not recorded)."""
    values = {
        "local_id": f"MRN-{next(_counter):05d}",
        "birth_date": date(1960, 11, 2),
        "sex": "female",
        "ssc_subtype": "limited_cutaneous",
    }
    values.update(fields)
    patient = patient_save(patient=Patient(center=center or make_center(), **values))
    if consent:
        record_consent(patient)
    return patient


RESEARCH_CONSENT = ("care", "radiographs", "research")


def make_consent_document(center: Center, **fields) -> ConsentDocument:
    """The center's test consent form (one per center unless fields differ), every scope."""
    existing = ConsentDocument.objects.filter(center=center, title="Registry consent").first()
    if existing is not None and not fields:
        return existing
    values = {
        "title": "Registry consent",
        "version": f"{next(_counter)}",
        "language": "en",
        "effective_on": date(2000, 1, 1),
        "ethics_reference": "EC-TEST-1",
        "text": "Synthetic consent text.",
        "scopes": [scope for scope, _label in Scope.choices],
    }
    values.update(fields)
    return consent_document_create(center=center, **values)


def record_consent(patient: Patient, scopes=RESEARCH_CONSENT, signed_on: date | None = None):
    """Record that ``patient`` signed the center's test form for ``scopes`` (researchers see
    only patients with research consent; radiographs also need the radiographs scope)."""
    return consent_record(
        patient=patient,
        document=make_consent_document(patient.center),
        signed_on=signed_on or date(2020, 1, 1),
        scopes=scopes,
        recorded_by=None,
    )


def make_visit(patient: Patient, **fields) -> Visit:
    values = {"date": date(2023, 3, 15), "visit_type": "follow_up"}
    values.update(fields)
    return visit_save(visit=Visit(patient=patient, **values))


def make_radiograph(patient: Patient, **fields) -> Radiograph:
    values = {
        "acquired_on": date(2023, 3, 15),
        "body_region": "hand",
        "laterality": "left",
        "view": "pa",
    }
    values.update(fields)
    return radiograph_save(radiograph=Radiograph(patient=patient, **values))


def make_track(patient: Patient, **fields) -> LesionTrack:
    values = {
        "body_region": "hand",
        "laterality": "left",
        "digit": 1,
        "segment": "distal_phalanx",
        "tissue": "soft_tissue",
    }
    values.update(fields)
    return track_save(track=LesionTrack(patient=patient, **values))


def make_lesion(radiograph: Radiograph, **fields) -> CalcinosisLesion:
    values = {
        "digit": 1,
        "segment": "distal_phalanx",
        "tissue": "soft_tissue",
        "longest_diameter_mm": 15.0,
    }
    values.update(fields)
    return lesion_save(lesion=CalcinosisLesion(radiograph=radiograph, **values))


def make_export_job(user, **fields) -> ExportJob:
    """A queued export as ``export_request`` records it (scope and research flag of ``user``),
    without running it."""
    values = {
        "level": "patients",
        "format": "csv",
        "date_mode": "keep",
        "center_ids": export_scope(user),
        "research": access_of(user).research,
    }
    values.update(fields)
    return ExportJob.objects.create(requested_by=user, **values)
