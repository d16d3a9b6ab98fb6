"""Security review, issue #12: a researcher's export holds no free text, local id or full birth
date in any format (finding 8), takes only research filters, and selects at least
REGISTRY_MIN_CELL_SIZE patients (finding 2)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.research_fields import NOT_AVAILABLE
from accounts.services import user_add
from erasure.models import ErasureTombstone
from exports.models import ExportJob
from exports.runner import TOO_FEW_WRITTEN
from exports.services import (
    ACCESS_CHANGED,
    RESEARCH_DATES_AS_RECORDED,
    TOO_FEW_PATIENTS,
    erased_since,
    export_run,
)
from imaging.models import RadiographicFinding
from imaging.services import finding_save
from patients.models import CalcinosisTreatment, Patient
from patients.services import patient_delete, treatment_save
from tests import factories
from tests.api.conftest import client_for
from tests.exports.test_api import download, request_export
from tests.exports.test_privacy import FORMATS, readable_text

pytestmark = pytest.mark.django_db

HOSTILE = "HOSTILE-TEXT"
BIRTH_DATES = [date(1950 + n, 3, 11 + n) for n in range(5)]


def hostile_patient(center, n: int):
    patient = factories.make_patient(
        center,
        local_id=f"MRN-HOSTILE-{n}",
        birth_date=BIRTH_DATES[n],
        notes=f"{HOSTILE} notes",
        not_applicable=True,
        not_applicable_reason=f"{HOSTILE} reason",
        first_non_raynaud_onset=date(2013, 3, 1),
        first_non_raynaud_onset_precision="month",
    )
    visit = factories.make_visit(
        patient, notes=f"{HOSTILE} visit", ulceration=True, ulceration_site=f"{HOSTILE} u",
        infection=True, infection_site=f"{HOSTILE} i", drainage=True, drainage_site=f"{HOSTILE} d",
    )
    treatment_save(treatment=CalcinosisTreatment(
        patient=patient, visit=visit, treatment="other", other_text=f"{HOSTILE} t",
        started_on=date(2023, 3, 15),
    ))
    radiograph = factories.make_radiograph(patient, visit=visit, notes=f"{HOSTILE} radiograph")
    finding_save(finding=RadiographicFinding(
        radiograph=radiograph, finding="erosion", digit=2, notes=f"{HOSTILE} finding"
    ))
    track = factories.make_track(patient, label=f"{HOSTILE} label")
    factories.make_lesion(radiograph, track=track, notes=f"{HOSTILE} lesion")
    return patient


@pytest.fixture
def hostile_center(settings):
    settings.REGISTRY_MIN_CELL_SIZE = 5
    center = factories.make_center("hostile", "Hostile clinic")
    for n in range(5):
        hostile_patient(center, n)
    return center


@pytest.fixture
def researcher(hostile_center):
    return client_for(user_add(email="r@hostile.example", center=hostile_center, role="researcher"))


CASES = [(fmt, level) for fmt, levels in FORMATS.items() for level in levels]


@pytest.mark.parametrize(("fmt", "level"), CASES)
def test_finding8_research_export_holds_no_free_text_or_identifier(
    researcher, django_capture_on_commit_callbacks, fmt, level
):
    """Every member of every format, read as text: no free text, local id or birth date."""
    response = request_export(researcher, django_capture_on_commit_callbacks,
                              level=level, format=fmt, date_mode="keep")
    assert response.status_code == 202, response.content[:300]
    archive = download(researcher, response.json()["id"])
    forbidden = [HOSTILE, "MRN-HOSTILE", *(day.isoformat() for day in BIRTH_DATES)]
    for name in archive.namelist():
        text = readable_text(archive, name)
        for value in forbidden:
            assert value not in text, f"{value!r} leaked into {name}"


@pytest.mark.parametrize(
    "name", ["birth_date_after", "birth_date_before", "registry_id", "local_id"]
)
def test_finding2_research_export_refuses_hidden_filters(researcher, name):
    """An export's filters are the research allow-list's: a birth date filter names itself."""
    response = researcher.post("/api/v1/exports/", {
        "level": "patients", "format": "csv", "filters": {name: "1950-03-11"},
    }, format="json")
    assert response.status_code == 400
    errors = {error["field"]: error["message"] for error in response.json()["errors"]}
    assert list(errors) == [f"filters.{name}"]
    if name.startswith("birth_date"):
        assert errors[f"filters.{name}"] == NOT_AVAILABLE
    assert "1950-03-11" not in response.content.decode()


def test_finding2_research_export_by_birth_year_range(
    researcher, django_capture_on_commit_callbacks
):
    response = request_export(researcher, django_capture_on_commit_callbacks, level="patients",
                              format="csv", filters={"birth_year_max": 1960})
    assert response.status_code == 202, response.content[:300]


def test_finding2_research_export_below_cell_size_is_refused(researcher):
    """One year selects one patient: refused, with the reason, before any job exists."""
    response = researcher.post("/api/v1/exports/", {
        "level": "patients", "format": "csv", "filters": {"birth_year": 1950},
    }, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "filters", "code": "invalid", "message": TOO_FEW_PATIENTS.format(limit=5)}
    ]
    assert not ExportJob.objects.exists()


def test_finding2_clinicians_export_small_cohorts_and_birth_date_filters(hostile_center):
    """The rule is the researchers': a clinician's export of their center is not refused."""
    client = client_for(user_add(email="d@hostile.example", center=hostile_center,
                                 role="clinician"))
    response = client.post("/api/v1/exports/", {
        "level": "patients", "format": "csv", "filters": {"birth_date_before": "1951-01-01"},
    }, format="json")
    assert response.status_code == 202, response.content[:300]


def test_finding2_research_job_whose_cohort_shrank_fails_with_the_reason(researcher):
    """Checked again when the job runs: patients deleted since leave fewer than K."""
    response = researcher.post("/api/v1/exports/", {"level": "patients", "format": "csv"},
                               format="json")
    job_id = response.json()["id"]
    patient_delete(patient=Patient.objects.order_by("pk").first(), reason="withdrew consent")
    export_run(job_id=job_id)
    job = ExportJob.objects.get(pk=job_id)
    assert (job.status, job.error) == ("failed", TOO_FEW_PATIENTS.format(limit=5))


@pytest.mark.parametrize("mode", ["shift", "relative"])
def test_finding2_researchers_export_dates_as_recorded(researcher, mode):
    """A review: researchers read real visit dates through the API, so a birth date shifted with
    the other dates came back exactly (real visit - (shifted visit - shifted birth))."""
    response = researcher.post(
        "/api/v1/exports/",
        {"level": "patients", "format": "csv", "date_mode": mode},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "date_mode", "code": "invalid", "message": RESEARCH_DATES_AS_RECORDED}
    ]
    assert not ExportJob.objects.exists()


def test_a_researchers_default_date_mode_is_keep(researcher):
    response = researcher.post(
        "/api/v1/exports/", {"level": "patients", "format": "csv"}, format="json"
    )
    assert response.status_code == 202, response.json()
    assert response.json()["date_mode"] == "keep"


@pytest.mark.parametrize("change", ["deactivated", "made_clinician"])
def test_a_research_job_stays_research_or_fails_when_the_requesters_roles_change(
    researcher, hostile_center, change
):
    """Regression (review of issue 15): research was decided again when the job ran, so a
    researcher deactivated (or given a clinical role) meanwhile got every patient, without
    the consent rule, in a job still scoped to every center."""
    response = researcher.post("/api/v1/exports/", {"level": "patients", "format": "csv"},
                               format="json")
    job = ExportJob.objects.get(pk=response.json()["id"])
    assert job.research
    user = job.requested_by
    if change == "deactivated":
        user.is_active = False
        user.save(update_fields=["is_active"])
    else:
        user.memberships.update(role="clinician")
    export_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.error, job.file.name) == ("failed", ACCESS_CHANGED, "")


def test_an_export_written_across_an_erasure_is_not_stored(hostile_center, other_center):
    """Regression (review of issue 15): erasure expires the files finished before it; a job of
    the same centers that started before it and finishes after must not store its file."""
    user = user_add(email="c@hostile.example", center=hostile_center, role="clinician")
    job = ExportJob.objects.create(
        requested_by=user, level="patients", format="csv", center_ids=[hostile_center.pk],
        started_at=timezone.now() - timedelta(minutes=1),
    )
    assert not erased_since(job)
    tombstone = ErasureTombstone.objects.create(
        registry_id_digest="0" * 64, center=other_center, erased_by_label="x", reason="r"
    )
    assert not erased_since(job)  # another center's patient cannot be in this file
    ErasureTombstone.objects.filter(pk=tombstone.pk).update(center=hostile_center)
    assert erased_since(job)
    ErasureTombstone.objects.filter(pk=tombstone.pk).update(
        erased_at=timezone.now() - timedelta(minutes=5)
    )
    assert not erased_since(job)  # before the job started: the job never selected them


def test_a_research_export_left_below_the_cell_size_by_suppression_fails(
    researcher, settings, django_capture_on_commit_callbacks
):
    """K = 2 under a cell size of 5: the five patients differ only in birth year (1950-1954,
    one 5-year band, yet unique until banded) — make one a man and he stays alone, so the
    generalized export would hold 4 patients: the job fails saying so (security review of
    issue 17), nothing is written."""
    settings.REGISTRY_EXPORT_K_ANONYMITY = 2
    settings.REGISTRY_EXPORT_RESEARCH_GENERALIZE = True
    Patient.objects.filter(birth_date=BIRTH_DATES[0]).update(sex="male")
    response = request_export(researcher, django_capture_on_commit_callbacks, level="patients",
                              format="csv")
    assert response.status_code == 202, response.content[:300]
    job = ExportJob.objects.get(pk=response.json()["id"])
    assert job.status == "failed" and not job.file
    assert job.error == TOO_FEW_WRITTEN.format(count=4, limit=5)
