"""What the subject access report (GDPR Art. 15) holds: every part of the record."""

from __future__ import annotations

from datetime import date

import pytest

from access_log.services import access_log_record
from erasure.subject_access import subject_access_report
from imaging.models import RadiographicFinding
from imaging.services import finding_save
from patients.models import CalcinosisTreatment
from patients.services import treatment_save
from progression.services import progression_recompute
from tests import factories

pytestmark = pytest.mark.django_db


def test_report_holds_the_whole_record(center, django_user_model):
    """Demographics, visits, treatments, radiographs with findings and lesions, tracks,
    progression, consent and the access log are all in the report, values as stored."""
    patient = factories.make_patient(center, local_id="SAR-1", birth_date=date(1950, 2, 3))
    visit = factories.make_visit(patient, date=date(2023, 3, 15), notes="visit note")
    treatment_save(
        treatment=CalcinosisTreatment(
            patient=patient, treatment="other", other_text="SAR remedy", started_on=visit.date
        )
    )
    radiograph = factories.make_radiograph(patient, visit=visit)
    finding_save(finding=RadiographicFinding(radiograph=radiograph, finding="erosion", digit=2))
    track = factories.make_track(patient, label="SAR thumb")
    factories.make_lesion(radiograph, track=track, longest_diameter_mm=12.5)
    progression_recompute(patient_id=patient.pk, force=True)
    reader = django_user_model.objects.create_user("reader@example.org")
    access_log_record(user=reader, kind="api_detail", patient_ids=[patient.pk])
    other = factories.make_patient(center, local_id="SAR-OTHER")
    factories.make_visit(other, date=date(2024, 1, 2), notes="not theirs")

    report = subject_access_report(patient=patient, preview_url=lambda r: f"/p/{r.pk}")

    assert report["patient"]["local_id"] == "SAR-1"
    assert report["patient"]["birth_date"] == "1950-02-03"
    assert report["patient"]["center"] == center.code
    assert [v["notes"] for v in report["visits"]] == ["visit note"]
    assert report["treatments"][0]["other_text"] == "SAR remedy"
    (shown,) = report["radiographs"]
    assert shown["findings"][0]["finding"] == "erosion"
    assert shown["lesions"][0]["longest_diameter_mm"] == 12.5
    assert shown["dicom"] is None and shown["preview_url"] is None  # entered by hand
    assert report["lesion_tracks"][0]["label"] == "SAR thumb"
    assert report["progression"]["status"]
    assert report["consent"]["consentrecord"]  # factories.make_patient records consent
    assert [row["user"] for row in report["access_log"]] == ["reader@example.org"]
    assert "not theirs" not in str(report)
