"""Progression endpoints: a patient's result, rule overrides, chart, cohort, recompute jobs."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Center
from accounts.services import user_add
from patients.models import Patient
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def teaching(db):
    call_command("seed_demo", "--patients", "0", "--no-users", stdout=StringIO(), stderr=StringIO())
    return Patient.objects.get(local_id="TEACH-0001")


@pytest.fixture
def north_api(teaching):
    center = Center.objects.get(code="demo-north")
    return client_for(user_add(email="doc@north.example", center=center, role="clinician"))


def test_teaching_case_progression(north_api, teaching):
    """Left thumb deposit (largest of the views each year): 15.0 baseline; 17.0 (+2.0 mm = 13 %
    of 15: stable); 19.5 (+4.5 mm >= 2 and >= 3.75: progressed). The left-hand series SLD is
    15 -> 17 -> 19.5; at 2025 SLD - nadir(15) = 4.5 >= 2 and >= 0.25 * 15: progression."""
    body = north_api.get(f"/api/v1/patients/{teaching.pk}/progression/").json()
    assert body["status"] == "progression"
    assert body["rules"] == {
        "absolute_floor_mm": 2.0,
        "progression_fraction": 0.25,
        "regression_fraction": 0.25,
    }
    left = next(s for s in body["series"] if s["laterality"] == "left")
    assert [(t["date"], t["sum_longest_diameter_mm"], t["status"]) for t in left["timepoints"]] == [
        ("2023-03-15", 15.0, "baseline"),
        ("2024-03-20", 17.0, "stable"),
        ("2025-03-18", 19.5, "progression"),
    ]
    # Disease duration at baseline: onset 2013-03 (taken as 2013-03-15) -> 3652 days = 10.00 y.
    assert left["timepoints"][0]["disease_duration_years"] == round(3652 / 365.25, 3)
    # time to progression: 2023-03-15 -> 2025-03-18 = 734 days = 2.010 years.
    assert left["time_to_progression_years"] == round(734 / 365.25, 3)
    [track] = body["tracks"]
    assert [o["status"] for o in track["observations"]] == ["baseline", "stable", "progressed"]


def test_rule_override_computes_without_storing(north_api, teaching):
    """With a 40 % cut-off, +4.5 mm (30 % of 15) is no longer progression: stable."""
    url = f"/api/v1/patients/{teaching.pk}/progression/"
    body = north_api.get(url, {"progression_fraction": "0.4"}).json()
    assert body["status"] == "stable" and body["rules"]["progression_fraction"] == 0.4
    assert north_api.get(url).json()["status"] == "progression"  # the stored one is unchanged
    bad = north_api.get(url, {"progression_fraction": "2"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "progression_fraction"


def test_chart_is_svg(north_api, teaching):
    response = north_api.get(f"/api/v1/patients/{teaching.pk}/progression/chart.svg")
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in response.content and b"progression" in response.content


def test_other_center_gets_404(teaching, other_center):
    other = client_for(user_add(email="x@south.example", center=other_center, role="clinician"))
    assert other.get(f"/api/v1/patients/{teaching.pk}/progression/").status_code == 404
    assert other.get(f"/api/v1/patients/{teaching.pk}/progression/chart.svg").status_code == 404
    counts = other.get("/api/v1/cohort/progression/").json()
    assert counts["patients"] == 0


def test_cohort_summary_and_filters(north_api, teaching):
    body = north_api.get("/api/v1/cohort/progression/").json()
    assert body["status_counts"]["progression"] == 1
    assert north_api.get("/api/v1/cohort/progression/", {"aca": "negative"}).json()["patients"] == 0
    chart = north_api.get("/api/v1/cohort/progression/chart.svg")
    assert chart.status_code == 200 and b"<svg" in chart.content


def test_recompute_job_with_progress(teaching, north_api, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root@example.org", "", "root-pass-long-1")
    client = client_for(admin)
    assert (
        north_api.post("/api/v1/cohort/progression/recompute/", {}, format="json").status_code
        == 403
    )
    with django_capture_on_commit_callbacks(execute=True):  # eager Celery runs the job at commit
        response = client.post("/api/v1/cohort/progression/recompute/", {}, format="json")
    assert response.status_code == 202
    job = client.get(f"/api/v1/tasks/{response.json()['id']}/").json()
    assert job["status"] == "succeeded" and job["done"] == job["total"] == 1  # eager: ran at commit
    assert north_api.get(f"/api/v1/tasks/{job['id']}/").status_code == 404
