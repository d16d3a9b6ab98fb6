"""Small builders for test data, going through the services like every real writer."""

from __future__ import annotations

import itertools
from datetime import date

from accounts.models import Center
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


def make_patient(center: Center | None = None, **fields) -> Patient:
    values = {
        "local_id": f"MRN-{next(_counter):05d}",
        "birth_date": date(1960, 11, 2),
        "sex": "female",
        "ssc_subtype": "limited_cutaneous",
    }
    values.update(fields)
    return patient_save(patient=Patient(center=center or make_center(), **values))


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
