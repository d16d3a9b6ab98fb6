"""Concurrent edits (ETag / If-Match), retries (Idempotency-Key), and the error contract."""

import pytest
from django.test import override_settings

from patients.models import Patient, Visit
from tests import factories

pytestmark = pytest.mark.django_db


def test_if_match_refuses_a_stale_write(api, center):
    patient = factories.make_patient(center)
    url = f"/api/v1/patients/{patient.pk}/"
    etag = api.get(url)["ETag"]
    first = api.patch(url, {"sex": "male"}, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200 and first["ETag"] != etag
    stale = api.patch(url, {"sex": "other"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["errors"][0]["code"] == "precondition_failed"
    assert Patient.objects.get(pk=patient.pk).sex == "male"
    assert api.delete(f"{url}?reason=test", HTTP_IF_MATCH=etag).status_code == 412
    # Documented: without If-Match the write is accepted even though the record changed.
    assert api.patch(url, {"sex": "other"}, format="json").status_code == 200


def test_etag_does_not_drift_with_todays_date(api, center):
    """The ETag hashes stored values only: two reads give the same tag."""
    patient = factories.make_patient(
        center, first_non_raynaud_onset="2015-01-01", first_non_raynaud_onset_precision="year"
    )
    url = f"/api/v1/patients/{patient.pk}/"
    assert api.get(url)["ETag"] == api.get(url)["ETag"]


def test_idempotency_key_replays_the_first_response(api, center):
    payload = {"local_id": "IDEM-1", "birth_date": "1970-01-01"}
    first = api.post("/api/v1/patients/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post("/api/v1/patients/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Patient.objects.filter(local_id="IDEM-1").count() == 1
    other = api.post(
        "/api/v1/patients/",
        {**payload, "local_id": "IDEM-2"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["code"] == "idempotency_key_reused"


def test_failed_request_does_not_burn_the_key(api, center):
    bad = api.post(
        "/api/v1/patients/", {"local_id": "X"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert bad.status_code == 400
    good = api.post(
        "/api/v1/patients/",
        {"local_id": "X", "birth_date": "1970-01-01"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    assert good.status_code == 201


def test_malformed_json(api, center):
    response = api.generic(
        "POST", "/api/v1/patients/", '{"local_id": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_not_an_object(api, center):
    response = api.post("/api/v1/patients/", [1, 2], format="json")
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"field": None, "code": "invalid", "message": "Expected a JSON object."}]
    }


def test_unknown_fields_are_refused_not_ignored(api, patient):
    response = api.post(
        "/api/v1/visits/",
        {"patient": patient.pk, "date": "2023-03-15", "calcinosis_pain": 5},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "calcinosis_pain", "code": "unknown_field", "message": "Unknown field."}
    ]
    assert not Visit.objects.exists()


def test_wrong_types_and_ranges(api, patient):
    cases = [
        ({"calcinosis_pain_nrs": 11}, "calcinosis_pain_nrs"),
        ({"calcinosis_pain_nrs": "a lot"}, "calcinosis_pain_nrs"),
        ({"date": "15/03/2023"}, "date"),
        ({"mrss_total": 52}, "mrss_total"),
        ({"mrss_sites": {"face": 4}}, "mrss_sites"),
        ({"visit_type": "annual"}, "visit_type"),
    ]
    for change, field in cases:
        payload = {"patient": patient.pk, "date": "2023-03-15", **change}
        response = api.post("/api/v1/visits/", payload, format="json")
        assert response.status_code == 400, (change, response.json())
        assert field in [e["field"] for e in response.json()["errors"]], change


@override_settings(REGISTRY_API_MAX_BODY_BYTES=2000)
def test_oversized_body_is_413(api, center):
    response = api.post("/api/v1/patients/", {"local_id": "X", "notes": "x" * 5000}, format="json")
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "payload_too_large"


def test_unsupported_media_type(api, center):
    response = api.post(
        "/api/v1/patients/", "local_id=X", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert "errors" in response.json()


def test_unknown_route_is_json_404(api):
    response = api.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_deleting_a_track_that_holds_lesions_is_409(api, patient):
    track = factories.make_track(patient)
    factories.make_lesion(factories.make_radiograph(patient), track=track)
    response = api.delete(f"/api/v1/lesion-tracks/{track.pk}/")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "in_use"


def test_idempotency_with_a_session_and_csrf(client, clinician, patient):
    """Session clients (the web app) post JSON with a CSRF token; the CSRF check reads the body
    first, and the key must still work (regression: it raised RawPostDataException)."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(clinician)
    browser.get("/patients/")  # sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    radiograph = factories.make_radiograph(patient)
    url = f"/api/v1/radiographs/{radiograph.pk}/lesions/"
    body = {"longest_diameter_mm": 4.5, "digit": 1, "segment": "distal_phalanx"}
    for _ in range(2):
        response = browser.post(url, body, content_type="application/json",
                                HTTP_X_CSRFTOKEN=token, HTTP_IDEMPOTENCY_KEY="web-1")
        assert response.status_code == 201, response.content
    assert radiograph.lesions.count() == 1


def test_delete_reason_with_a_nul_or_too_long_is_400(api, center):
    """Found by schemathesis: a NUL byte in ?reason= reached PostgreSQL (500)."""
    patient = factories.make_patient(center)
    for reason in ("dup\x00licate", "x" * 101):
        response = api.delete(f"/api/v1/patients/{patient.pk}/", QUERY_STRING=f"reason={reason}")
        assert response.status_code == 400, reason
        assert response.json()["errors"][0]["field"] == "reason"
    assert Patient.objects.filter(pk=patient.pk).exists()
