"""Roles on the progression and task endpoints (listed in the role matrix's COVERED_ELSEWHERE):
every operation of the schema under /progression/ or /tasks/ must appear in EXPECTED."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.services import user_add
from progression.models import RecomputeJob
from tests import factories
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "no_role", "researcher", "clinician_b", "admin_a", "clinician_a"]
# (method, path) -> expected status per role, in ROLES order.
EXPECTED = {
    ("GET", "/api/v1/patients/{patient_pk}/progression/"): [401, 403, 200, 404, 200, 200],
    ("GET", "/api/v1/patients/{patient_pk}/progression/chart.svg"): [401, 403, 200, 404, 200, 200],
    ("GET", "/api/v1/cohort/progression/"): [401, 403, 200, 200, 200, 200],
    ("GET", "/api/v1/cohort/progression/chart.svg"): [401, 403, 200, 200, 200, 200],
    ("POST", "/api/v1/cohort/progression/recompute/"): [401, 403, 403, 403, 403, 403],
    ("GET", "/api/v1/tasks/"): [401, 403, 200, 200, 200, 200],
    ("GET", "/api/v1/tasks/{id}/"): [401, 403, 404, 404, 404, 404],  # another user's job
}


def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if "/progression" in path or path.startswith("/api/v1/tasks/")
    }


def test_every_progression_operation_has_expectations():
    assert schema_operations() == set(EXPECTED)


@pytest.fixture
def clients(center, other_center):
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody@example.org")
    return {
        "anonymous": APIClient(),
        "no_role": client_for(nobody),
        "researcher": client_for(
            user_add(email="r@x.example", center=other_center, role="researcher")
        ),
        "clinician_b": client_for(
            user_add(email="b@x.example", center=other_center, role="clinician")
        ),
        "admin_a": client_for(user_add(email="adm@x.example", center=center, role="center_admin")),
        "clinician_a": client_for(user_add(email="a@x.example", center=center, role="clinician")),
    }


def test_progression_roles(clients, center):
    patient = factories.make_patient(center, local_id="SECRET-MRN")
    factories.make_lesion(factories.make_radiograph(patient))
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.create_superuser("root@example.org", "", "root-pass-long-1")
    job = RecomputeJob.objects.create(total=0, created_by=owner)
    for (method, path), statuses in EXPECTED.items():
        url = path.replace("{patient_pk}", str(patient.pk)).replace("{id}", str(job.pk))
        for role, expected in zip(ROLES, statuses, strict=True):
            response = clients[role].generic(method, url, "{}", content_type="application/json")
            assert response.status_code == expected, (role, method, url, response.content[:300])
            if role == "researcher" and response.status_code == 200:
                assert b"SECRET-MRN" not in response.content


def test_cohort_counts_only_visible_patients(clients, center, settings):
    settings.REGISTRY_MIN_CELL_SIZE = 1  # one patient: the default cell size suppresses it
    factories.make_lesion(factories.make_radiograph(factories.make_patient(center)))
    assert clients["clinician_b"].get("/api/v1/cohort/progression/").json()["patients"] == 0
    assert clients["clinician_a"].get("/api/v1/cohort/progression/").json()["patients"] == 1
    assert clients["researcher"].get("/api/v1/cohort/progression/").json()["patients"] == 1
