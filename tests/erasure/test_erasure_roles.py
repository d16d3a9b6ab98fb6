"""Who may erase a patient and read their subject access report, through the API and the clinic:
center admins of the patient's center and superusers; clinicians and researchers 403; another
center's admin 404, like a missing patient."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from access_log.models import AccessKind, AccessLogEntry
from accounts.services import user_add
from api.views.erasure import ADMINS_ONLY
from erasure.models import ErasureTombstone
from erasure.services import REASON_IDENTIFIES, REASON_REQUIRED
from patients.models import Patient
from tests import factories
from tests.api.role_users import client_for, role_users

pytestmark = pytest.mark.django_db

# role -> (status of the erase POST, status of the subject access GET) on center A's patient
EXPECTED = {
    "anonymous": (401, 401),
    "no_role": (403, 403),
    "researcher": (403, 403),
    "clinician_b": (403, 403),
    "clinician_a": (403, 403),
    "admin_b": (404, 404),
    "admin_a": (201, 200),
    "superuser": (201, 200),
}


@pytest.fixture
def users(center, other_center):
    found = role_users(center, other_center)
    found["admin_b"] = user_add(
        email="admin@b.example.org", center=other_center, role="center_admin"
    )
    found["superuser"] = get_user_model().objects.create_superuser("root", "root@example.org")
    return found


@pytest.mark.parametrize("role", list(EXPECTED))
def test_erase_and_subject_access_follow_the_rule(users, center, role):
    """Each role gets the status of the table; a refused erasure leaves the patient."""
    patient = factories.make_patient(center, local_id="ROLE-A-1")
    client = client_for(users[role])
    erase, read = EXPECTED[role]
    response = client.get(f"/api/v1/patients/{patient.pk}/subject-access/")
    assert response.status_code == read, response.content
    if read == 200:
        assert response.json()["patient"]["local_id"] == "ROLE-A-1"
    elif read == 403 and role != "no_role":
        assert response.json()["errors"][0]["message"] == ADMINS_ONLY
    response = client.post(
        f"/api/v1/patients/{patient.pk}/erase/", {"reason": "Art. 17"}, format="json"
    )
    assert response.status_code == erase, response.content
    assert Patient.objects.filter(pk=patient.pk).exists() is (erase != 201)
    if erase == 201:
        body = response.json()
        assert body["counts"]["patients.patient"] == 1
        assert body["reason"] == "Art. 17" and body["center"] == center.code
        assert "ROLE-A-1" not in response.content.decode()


def test_erase_needs_a_reason(users, center):
    """No reason (or only blanks): 400 naming ``reason``; nothing is erased."""
    patient = factories.make_patient(center)
    client = client_for(users["admin_a"])
    url = f"/api/v1/patients/{patient.pk}/erase/"
    for body in ({}, {"reason": "   "}):
        response = client.post(url, body, format="json")
        assert response.status_code == 400
        assert [error["field"] for error in response.json()["errors"]] == ["reason"]
    assert Patient.objects.filter(pk=patient.pk).exists()
    assert not ErasureTombstone.objects.exists()
    assert REASON_REQUIRED  # the service's own message, for a caller that skips the serializer


def test_a_reason_naming_the_patient_is_refused(users, center):
    """Regression (review): the tombstone keeps the reason, so a reason quoting the registry id
    or local id would leave an identifying value behind; 400 naming ``reason``."""
    patient = factories.make_patient(center, local_id="MRN-REASON-7")
    client = client_for(users["admin_a"])
    url = f"/api/v1/patients/{patient.pk}/erase/"
    for reason in (f"request of {patient.registry_id}", "Art. 17, mrn-reason-7 asked"):
        response = client.post(url, {"reason": reason}, format="json")
        assert response.status_code == 400
        [error] = response.json()["errors"]
        assert (error["field"], error["message"]) == ("reason", REASON_IDENTIFIES)
    assert Patient.objects.filter(pk=patient.pk).exists()


@pytest.mark.parametrize("role", ["anonymous", "researcher", "clinician_a", "admin_a", "admin_b"])
def test_clinic_subject_access_page(client, users, center, role):
    """The printable page: the admin of A sees the record; clinicians and researchers 403;
    B's admin 404; anonymous goes to sign in. No inline script or style (CSP)."""
    patient = factories.make_patient(center, local_id="PRINT-A-1")
    if users[role] is not None:
        client.force_login(users[role])
    response = client.get(f"/patients/{patient.pk}/subject-access/")
    expected = {"anonymous": 302, "researcher": 403, "clinician_a": 403, "admin_b": 404}
    assert response.status_code == expected.get(role, 200)
    if role == "admin_a":
        html = response.content.decode()
        assert "PRINT-A-1" in html and "subject_access.css" in html
        assert "<script>" not in html and "style=" not in html
        page = client.get(f"/patients/{patient.pk}/").content.decode()
        assert f"/patients/{patient.pk}/subject-access/" in page  # linked for the admin


def test_a_subject_access_report_is_in_the_access_log(client, users, center):
    """Regression (review): producing the report (API and printable page) is a read of the
    record, so it is in the patient's access log like any other."""
    patient = factories.make_patient(center, local_id="SAR-LOG-1")
    api = client_for(users["admin_a"])
    assert api.get(f"/api/v1/patients/{patient.pk}/subject-access/").status_code == 200
    client.force_login(users["admin_a"])
    assert client.get(f"/patients/{patient.pk}/subject-access/").status_code == 200
    logged = AccessLogEntry.objects.filter(kind=AccessKind.SUBJECT_ACCESS)
    assert logged.count() == 2
    assert {p for e in logged for p in e.patients.values_list("patient_id", flat=True)} == {
        patient.pk
    }
