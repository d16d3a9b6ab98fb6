"""``/api/v1/exports/``: 202, poll, download, expiry, and who sees what."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import user_add
from exports.models import ExportJob
from tests.api.conftest import client_for
from tests.exports.conftest import csv_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def north_clinician(cohort):
    return client_for(user_add(email="doc@north.example", center=cohort.north, role="clinician"))


@pytest.fixture
def south_clinician(cohort):
    return client_for(user_add(email="doc@south.example", center=cohort.south, role="clinician"))


@pytest.fixture
def researcher(cohort):
    return client_for(user_add(email="res@north.example", center=cohort.north, role="researcher"))


def request_export(client, django_capture_on_commit_callbacks, **body):
    """POST and run the queued task as a commit would (in-process)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/exports/", body, format="json")
    return response


def download(client, job_id) -> zipfile.ZipFile:
    response = client.get(f"/api/v1/exports/{job_id}/download/")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    return zipfile.ZipFile(io.BytesIO(data))


def test_export_answers_202_then_poll_then_download(researcher, django_capture_on_commit_callbacks):
    response = request_export(
        researcher, django_capture_on_commit_callbacks,
        level="lesions", format="csv", date_mode="keep",
    )
    assert response.status_code == 202, response.json()
    job = response.json()
    assert response["Location"].endswith(f"/api/v1/exports/{job['id']}/")
    assert job["status"] == "pending" and job["project_key_used"] is False
    polled = researcher.get(f"/api/v1/exports/{job['id']}/").json()
    assert polled["status"] == "succeeded"
    assert polled["progress"] == 1.0 and polled["done"] == polled["total"] == 4
    assert polled["row_counts"] == {"lesions.csv": 4}
    assert polled["download_url"].endswith(f"/api/v1/exports/{job['id']}/download/")
    archive = download(researcher, job["id"])
    assert sorted(archive.namelist()) == ["data_dictionary.csv", "lesions.csv", "manifest.json"]


def test_researcher_export_contains_every_center(researcher, django_capture_on_commit_callbacks):
    job = request_export(researcher, django_capture_on_commit_callbacks,
                         level="patients", format="csv").json()
    rows = csv_rows(download(researcher, job["id"]), "patients.csv")
    assert sorted(r["center"] for r in rows) == ["north", "north", "south"]


def test_clinician_exports_only_their_centers(north_clinician, django_capture_on_commit_callbacks):
    job = request_export(north_clinician, django_capture_on_commit_callbacks,
                         level="patients", format="csv").json()
    rows = csv_rows(download(north_clinician, job["id"]), "patients.csv")
    assert sorted(r["center"] for r in rows) == ["north", "north"]
    assert "local_id" not in rows[0] and all(r["patient"].startswith("P-") for r in rows)


def test_clinician_of_another_center_cannot_see_or_download_a_job(
    north_clinician, south_clinician, researcher, django_capture_on_commit_callbacks
):
    job = request_export(north_clinician, django_capture_on_commit_callbacks,
                         level="patients", format="csv").json()
    for other in (south_clinician, researcher):
        assert other.get(f"/api/v1/exports/{job['id']}/").status_code == 404
        assert other.get(f"/api/v1/exports/{job['id']}/download/").status_code == 404
        assert other.get("/api/v1/exports/").json()["results"] == []
    assert [j["id"] for j in north_clinician.get("/api/v1/exports/").json()["results"]] == [
        job["id"]
    ]


def test_download_before_the_job_ran_is_409(researcher):
    response = researcher.post(
        "/api/v1/exports/", {"level": "patients", "format": "csv"}, format="json"
    )  # not committed in this test: the task never ran
    job = response.json()
    answer = researcher.get(f"/api/v1/exports/{job['id']}/download/")
    assert answer.status_code == 409
    assert answer.json()["errors"][0]["code"] == "not_ready"


def test_download_after_expiry_is_410_and_the_file_is_deleted(
    researcher, django_capture_on_commit_callbacks
):
    job = request_export(researcher, django_capture_on_commit_callbacks,
                         level="patients", format="csv").json()
    stored = ExportJob.objects.get(pk=job["id"])
    storage, name = stored.file.storage, stored.file.name
    assert storage.exists(name)
    ExportJob.objects.filter(pk=job["id"]).update(expires_at=timezone.now() - timedelta(1))
    answer = researcher.get(f"/api/v1/exports/{job['id']}/download/")
    assert answer.status_code == 410
    assert answer.json()["errors"][0]["code"] == "expired"
    assert not storage.exists(name)
    assert researcher.get(f"/api/v1/exports/{job['id']}/").json()["status"] == "expired"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"level": "lesions", "format": "csv_wide"}, "format"),
        ({"level": "patients", "format": "fhir_ndjson", "date_mode": "relative"}, "date_mode"),
        ({"level": "patients", "format": "csv", "filters": {"local_id": "MRN-1"}},
         "filters.local_id"),
        ({"level": "patients", "format": "csv", "filters": {"colour": "red"}}, "filters.colour"),
        ({"level": "patients", "format": "csv", "rules": {"progression_fraction": 2}}, "rules"),
        ({"level": "patients", "format": "csv", "levle": "x"}, "levle"),
    ],
)
def test_invalid_requests_name_the_field(researcher, body, field):
    response = researcher.post("/api/v1/exports/", body, format="json")
    assert response.status_code == 400, response.json()
    fields = {error["field"] for error in response.json()["errors"]}
    assert field in fields, fields


def test_xlsx_limit_is_refused_at_request_time(researcher, settings):
    settings.REGISTRY_EXPORT_XLSX_MAX_ROWS = 2
    response = researcher.post("/api/v1/exports/", {"level": "lesions", "format": "xlsx"},
                               format="json")
    assert response.status_code == 400
    assert "XLSX is for small cohorts" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_spss_and_stata_exports_are_requested_and_limited(
    researcher, settings, django_capture_on_commit_callbacks, fmt
):
    response = request_export(researcher, django_capture_on_commit_callbacks,
                              level="lesions", format=fmt)
    assert response.status_code == 202, response.json()
    job = researcher.get(f"/api/v1/exports/{response.json()['id']}/").json()
    assert job["status"] == "succeeded" and job["row_counts"] == {f"lesions.{fmt}": 4}
    assert f"lesions.{fmt}" in download(researcher, job["id"]).namelist()
    settings.REGISTRY_EXPORT_LABELLED_MAX_ROWS = 3  # the cohort has 4 lesions
    response = researcher.post("/api/v1/exports/", {"level": "lesions", "format": fmt},
                               format="json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "format" and "SPSS and Stata files are built in memory" in (
        error["message"])


def test_anonymous_and_roleless_users_cannot_export(cohort):
    from rest_framework.test import APIClient

    from accounts.services import token_create

    assert APIClient().post("/api/v1/exports/", {}, format="json").status_code == 401
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create(username="nobody")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=nobody)}")
    assert client.post("/api/v1/exports/", {"level": "patients", "format": "csv"},
                       format="json").status_code == 403


def test_project_key_is_never_shown(researcher, django_capture_on_commit_callbacks):
    job = request_export(researcher, django_capture_on_commit_callbacks,
                         level="patients", format="csv", project_key="SECRET-PROJECT").json()
    assert job["project_key_used"] is True
    assert "SECRET-PROJECT" not in str(researcher.get(f"/api/v1/exports/{job['id']}/").json())
    archive = download(researcher, job["id"])
    assert all(b"SECRET-PROJECT" not in archive.read(name) for name in archive.namelist())


def test_dictionary_endpoint(researcher):
    response = researcher.get("/api/v1/exports/dictionary/?level=visits&date_mode=relative")
    assert response.status_code == 200
    names = [entry["variable"] for entry in response.json()]
    assert "visit_day" in names and "local_id" in names
