"""The consent API: role rules, validation answers, the state in the patient detail, the list
of patients needing consent, and constant query counts."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent.models import ConsentRecord
from consent.services import DOCUMENT_IN_USE, NOT_GRANTED
from tests import factories
from tests.api.role_users import client_for, role_users

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    center_a = factories.make_center("cons-a", "A")
    center_b = factories.make_center("cons-b", "B")
    users = role_users(center_a, center_b)
    clients = {role: client_for(user) for role, user in users.items()}
    patient = factories.make_patient(center_a, consent=False)
    document = factories.make_consent_document(center_a)
    return {
        "clients": clients,
        "patient": patient,
        "document": document,
        "a": center_a,
        "b": center_b,
    }


DOCUMENT = {
    "center": "cons-a",
    "title": "Registry consent",
    "version": "9",
    "language": "fr",
    "effective_on": "2024-01-01",
    "ethics_reference": "EC-2024-7",
    "text": "Texte synthétique.",
    "scopes": ["care", "research"],
}


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("anonymous", 401, 401),
        ("no_role", 403, 403),
        ("researcher", 403, 403),
        ("clinician_b", 200, 403),
        ("clinician_a", 200, 403),
        ("admin_a", 200, 201),
    ],
)
def test_document_roles(setup, role, read, write):
    """Documents: center admins write, clinical users read, researchers nothing."""
    client = setup["clients"][role]
    assert client.get("/api/v1/consent-documents/").status_code == read
    assert client.post("/api/v1/consent-documents/", DOCUMENT, format="json").status_code == write


def test_documents_of_other_centers_are_not_listed(setup):
    """Clinician B does not see center A's documents."""
    body = setup["clients"]["clinician_b"].get("/api/v1/consent-documents/").json()
    assert body["results"] == []


def test_admin_cannot_create_for_another_center(setup):
    """A center admin creating for a center they do not administer gets 400 naming center."""
    response = setup["clients"]["admin_a"].post(
        "/api/v1/consent-documents/", {**DOCUMENT, "center": "cons-b"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "center"


def test_document_pdf_upload_and_download(setup):
    """A PDF uploaded as multipart is stored and downloaded; a non-PDF is 400 naming pdf."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = setup["clients"]["admin_a"]
    body = {
        **DOCUMENT,
        "text": "",
        "scopes": "research",
        "pdf": SimpleUploadedFile("c.pdf", b"%PDF-1.4\n%%EOF\n"),
    }
    response = client.post("/api/v1/consent-documents/", body, format="multipart")
    assert response.status_code == 201, response.content
    pdf = client.get(f"/api/v1/consent-documents/{response.json()['id']}/pdf/")
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")
    body["pdf"] = SimpleUploadedFile("c.pdf", b"GIF89a")
    body["version"] = "10"
    response = client.post("/api/v1/consent-documents/", body, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "pdf"


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("anonymous", 401, 401),
        ("no_role", 403, 403),
        ("researcher", 403, 403),
        ("clinician_b", 404, 404),
        ("clinician_a", 200, 201),
        ("admin_a", 200, 201),
    ],
)
def test_record_roles(setup, role, read, write):
    """Records: the patient's center's clinical users; another center's patient is 404."""
    client = setup["clients"][role]
    url = f"/api/v1/patients/{setup['patient'].pk}/consent-records/"
    body = {
        "document": setup["document"].pk,
        "signed_on": "2024-02-01",
        "scopes": ["research", "radiographs"],
    }
    assert client.get(url).status_code == read
    assert client.post(url, body, format="json").status_code == write


def test_record_is_never_edited(setup):
    """No PUT, PATCH or DELETE route exists for a record."""
    record = factories.record_consent(setup["patient"])
    client = setup["clients"]["clinician_a"]
    url = f"/api/v1/patients/{setup['patient'].pk}/consent-records/{record.pk}/"
    assert client.patch(url, {"note": "x"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    assert ConsentRecord.objects.filter(pk=record.pk).exists()


def test_withdrawal_of_ungranted_scope_is_400(setup):
    """Withdrawing a scope not granted (by a patient with a consent record) answers 400 naming
    scopes."""
    factories.record_consent(setup["patient"], scopes=["care"])
    client = setup["clients"]["clinician_a"]
    url = f"/api/v1/patients/{setup['patient'].pk}/consent-withdrawals/"
    response = client.post(
        url, {"withdrawn_on": "2024-03-01", "scopes": ["research"]}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["field"], error["message"]) == ("scopes", NOT_GRANTED.format(scopes="research"))


def test_record_then_withdraw_through_the_api(setup):
    """Recording and withdrawing update the state in the patient detail."""
    client = setup["clients"]["clinician_a"]
    patient = setup["patient"]
    response = client.post(
        f"/api/v1/patients/{patient.pk}/consent-records/",
        {
            "document": setup["document"].pk,
            "signed_on": "2024-02-01",
            "scopes": ["research", "radiographs"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["recorded_by"]
    client.post(
        f"/api/v1/patients/{patient.pk}/consent-withdrawals/",
        {"withdrawn_on": "2024-03-01", "scopes": ["research"], "reason": "asked"},
        format="json",
    )
    consent = client.get(f"/api/v1/patients/{patient.pk}/").json()["consent"]
    assert consent["research"] == {"state": "withdrawn", "since": "2024-03-01", "document": None}
    assert consent["radiographs"]["state"] == "granted"
    assert consent["recontact"]["state"] == "not_recorded"


def test_researcher_detail_has_no_consent_field(setup):
    """The research representation does not carry the consent state."""
    factories.record_consent(setup["patient"])
    body = setup["clients"]["researcher"].get(f"/api/v1/patients/{setup['patient'].pk}/").json()
    assert "consent" not in body


def test_consent_issues_list(setup):
    """Missing and superseded consent are listed for the center's clinical users only."""
    signed = factories.make_patient(setup["a"])  # signed the current test document
    factories.make_consent_document(setup["a"], effective_on=date(2024, 1, 1))  # supersedes it
    current = factories.make_patient(setup["a"], consent=False)
    newest = factories.make_consent_document(setup["a"], effective_on=date(2025, 1, 1))
    factories.record_consent(current, scopes=["research"], signed_on=date(2025, 2, 1))
    current.consent_records.update(document=newest)
    from consent.services import consent_record

    consent_record(
        patient=current,
        document=newest,
        signed_on=date(2025, 2, 2),
        scopes=["research"],
        recorded_by=None,
    )
    body = setup["clients"]["clinician_a"].get("/api/v1/consent-issues/").json()
    issues = {row["id"]: row["issue"] for row in body["results"]}
    assert issues[setup["patient"].pk] == "missing"
    assert issues[signed.pk] == "superseded"
    assert current.pk not in issues
    assert setup["clients"]["clinician_b"].get("/api/v1/consent-issues/").json()["results"] == []
    assert setup["clients"]["researcher"].get("/api/v1/consent-issues/").status_code == 403


@pytest.mark.parametrize(
    "url", ["/api/v1/consent-documents/", "/api/v1/consent-issues/", "records"]
)
def test_list_query_count_is_constant(setup, url):
    """Lists cost the same number of queries for 2 or 6 rows."""
    client = setup["clients"]["admin_a"]
    patient = setup["patient"]
    if url == "records":
        url = f"/api/v1/patients/{patient.pk}/consent-records/"

    def grow(n):
        for i in range(n):
            factories.make_consent_document(setup["a"], version=f"q{url[-9:]}{i}{n}")
            factories.record_consent(patient)
            factories.make_patient(setup["a"], consent=False)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    grow(2)
    count()  # the first request of a token records its use
    small = count()
    grow(4)
    assert count() == small


@pytest.mark.parametrize(
    ("role", "read", "change", "delete"),
    [
        ("anonymous", 401, 401, 401),
        ("no_role", 403, 403, 403),
        ("researcher", 403, 403, 403),
        ("clinician_b", 404, 403, 403),
        ("clinician_a", 200, 403, 403),
        ("admin_a", 200, 200, 204),
    ],
)
def test_document_detail_roles(setup, role, read, change, delete):
    """One document: read by the center's clinical users, changed and deleted by its admins."""
    client = setup["clients"][role]
    url = f"/api/v1/consent-documents/{setup['document'].pk}/"
    assert client.get(url).status_code == read
    assert client.get(f"{url}pdf/").status_code in (read if read != 200 else 404,)
    assert client.patch(url, {"title": "Corrected"}, format="json").status_code == change
    assert client.delete(url).status_code == delete


def test_signed_document_cannot_be_deleted_through_the_api(setup):
    """Deleting a document someone signed answers 400 with the reason."""
    factories.record_consent(setup["patient"])
    url = f"/api/v1/consent-documents/{setup['document'].pk}/"
    response = setup["clients"]["admin_a"].delete(url)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == DOCUMENT_IN_USE


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [("researcher", 403, 403), ("clinician_b", 404, 404), ("clinician_a", 200, 201)],
)
def test_withdrawal_roles(setup, role, read, write):
    """Withdrawals: the patient's center's clinical users only."""
    factories.record_consent(setup["patient"])
    client = setup["clients"][role]
    url = f"/api/v1/patients/{setup['patient'].pk}/consent-withdrawals/"
    assert client.get(url).status_code == read
    body = {"withdrawn_on": "2024-03-01", "scopes": ["radiographs"]}
    assert client.post(url, body, format="json").status_code == write
