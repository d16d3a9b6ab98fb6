"""Patients over HTTP: computed fields, round-trip, validation, research view, filters."""

import math
from datetime import date, timedelta

import pytest
from django.utils import timezone

from patients.models import Patient, SubtypeAssessment
from tests import factories

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "local_id": "MRN-100",
    "sex": "female",
    "birth_date": "1960-11-02",
    "ssc_subtype": "limited_cutaneous",
    "first_non_raynaud_onset": "2013-03",
    "raynaud_onset": "2009",
    "diagnosis_date": "2013-09-10",
    "autoantibodies": {"aca": "positive", "scl70": "negative"},
    "classification": {"sclerodactyly": True, "raynaud_phenomenon": True},
}


def test_create_computes_score_and_duration(api, center):
    """Sclerodactyly 4 + Raynaud 3 + ACA 3 = 10 (meets); onset "2013-03" is taken as
    2013-03-15, so the duration today is (today - 2013-03-15).days / 365.25."""
    response = api.post("/api/v1/patients/", NEW_PATIENT, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["acr_eular_2013_score"] == 10
    assert body["meets_acr_eular_2013"] is True
    assert body["center"] == "north"  # the clinician's only center is the default
    expected = (timezone.localdate() - date(2013, 3, 15)).days / 365.25
    assert body["disease_duration_years"] == round(expected, 2)
    assert body["first_non_raynaud_onset"] == "2013-03"
    assert body["raynaud_onset"] == "2009"
    assert body["autoantibodies"]["rnap3"] == "unknown"  # not given: unknown, not negative
    assert response["ETag"]
    assert body["registry_id"].startswith("SSC-")


def test_round_trip_accepts_what_a_read_returns(api, center):
    """PUT of a GET body (read-only fields included) changes nothing and is accepted."""
    created = api.post("/api/v1/patients/", NEW_PATIENT, format="json").json()
    read = api.get(f"/api/v1/patients/{created['id']}/").json()
    response = api.put(f"/api/v1/patients/{created['id']}/", read, format="json")
    assert response.status_code == 200, response.json()
    assert {k: v for k, v in response.json().items() if k != "updated_at"} == {
        k: v for k, v in read.items() if k != "updated_at"
    }


def test_detail_shows_duration_at_each_visit_and_subtype_history(api, teaching_case_patient):
    """Onset 2013-03 (taken 2013-03-15) to a visit on 2023-03-15: 3652 days / 365.25 = 10.00."""
    factories.make_visit(teaching_case_patient, date=date(2023, 3, 15), visit_type="baseline")
    body = api.get(f"/api/v1/patients/{teaching_case_patient.pk}/").json()
    assert body["visits"][0]["disease_duration_years"] == round(3652 / 365.25, 2)
    assert body["subtype_history"][0]["subtype"] == "limited_cutaneous"


def test_subtype_reassessment_is_kept_with_its_date(api, center):
    created = api.post(
        "/api/v1/patients/",
        {**NEW_PATIENT, "ssc_subtype": "sine_scleroderma", "subtype_assessed_on": "2020-01-10"},
        format="json",
    ).json()
    response = api.patch(
        f"/api/v1/patients/{created['id']}/",
        {"ssc_subtype": "limited_cutaneous", "subtype_assessed_on": "2024-05-02"},
        format="json",
    )
    assert response.status_code == 200
    history = list(
        SubtypeAssessment.objects.filter(patient_id=created["id"])
        .order_by("assessed_on")
        .values_list("subtype", flat=True)
    )
    assert history == ["sine_scleroderma", "limited_cutaneous"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"diagnosis_date": "2010-01-01", "first_non_raynaud_onset": "2013-03"},
            "first_non_raynaud_onset",
        ),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"first_non_raynaud_onset": "2013-13"}, "first_non_raynaud_onset"),
        ({"first_non_raynaud_onset": 2013}, "first_non_raynaud_onset"),
        ({"sex": "f"}, "sex"),
        ({"autoantibodies": {"aca": "weak"}}, "autoantibodies.aca"),
        ({"autoantibodies": {"anti_jo1": "positive"}}, "autoantibodies.anti_jo1"),
        ({"classification": {"not_applicable": True}}, "not_applicable_reason"),
        ({"center": "south"}, "center"),
        ({"local_id": ""}, "local_id"),
    ],
)
def test_invalid_input_names_the_field_and_writes_nothing(api, center, other_center, change, field):
    response = api.post("/api/v1/patients/", {**NEW_PATIENT, **change}, format="json")
    assert response.status_code == 400, response.json()
    fields = [e["field"] for e in response.json()["errors"]]
    assert field in fields
    assert not Patient.objects.exists()


def test_duplicate_local_id_in_the_center(api, center):
    api.post("/api/v1/patients/", NEW_PATIENT, format="json")
    response = api.post("/api/v1/patients/", NEW_PATIENT, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "local_id"


def test_researcher_sees_pseudonymized_patients_from_every_center(
    researcher_api, center, other_center
):
    factories.make_patient(center, local_id="SECRET-1", notes="called on Monday")
    factories.make_patient(other_center, local_id="SECRET-2", birth_date=date(1955, 4, 3))
    response = researcher_api.get("/api/v1/patients/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "SECRET-1" not in text and "SECRET-2" not in text and "Monday" not in text
    assert "1955-04-03" not in text
    rows = response.json()["results"]
    assert len(rows) == 2 and {r["birth_year"] for r in rows} == {1960, 1955}
    assert "local_id" not in rows[0] and "birth_date" not in rows[0]
    assert researcher_api.get("/api/v1/patients/?local_id=SECRET-1").status_code == 400
    assert researcher_api.post("/api/v1/patients/", NEW_PATIENT, format="json").status_code == 403


def test_other_centers_patient_is_404(other_api, center):
    patient = factories.make_patient(center)
    assert other_api.get(f"/api/v1/patients/{patient.pk}/").status_code == 404
    assert (
        other_api.patch(
            f"/api/v1/patients/{patient.pk}/", {"sex": "male"}, format="json"
        ).status_code
        == 404
    )
    assert other_api.get(f"/api/v1/patients/{patient.pk}/visits/").status_code == 404
    assert other_api.get("/api/v1/patients/").json()["results"] == []


def test_delete_needs_a_reason_and_is_audited(api, center):
    patient = factories.make_patient(center)
    assert api.delete(f"/api/v1/patients/{patient.pk}/").status_code == 400
    assert api.delete(f"/api/v1/patients/{patient.pk}/?reason=duplicate").status_code == 204
    deleted = Patient.history.get(id=patient.pk, history_type="-")
    assert (deleted.history_change_reason, deleted.history_source) == ("duplicate", "api")
    assert deleted.history_user.username == "clinician@north.example"


def test_disease_duration_filters_with_partial_dates(api, center):
    """Onset year "2015" is taken as 1 July 2015. With today T, duration >= N years means
    (T - midpoint).days >= ceil(N * 365.25). Three patients: onsets 20, 10 and 2 years back."""
    today = timezone.localdate()
    for years, local_id in ((20, "OLD"), (10, "MID"), (2, "NEW")):
        start = today - timedelta(days=math.ceil(years * 365.25))
        factories.make_patient(
            center,
            local_id=local_id,
            first_non_raynaud_onset=start,
            first_non_raynaud_onset_precision="day",
        )
    factories.make_patient(center, local_id="UNKNOWN")  # no onset: in neither range

    def ids(query: str) -> set[str]:
        rows = api.get(f"/api/v1/patients/?{query}").json()["results"]
        return {row["local_id"] for row in rows}

    assert ids("disease_duration_min=5") == {"OLD", "MID"}
    assert ids("disease_duration_max=5") == {"NEW"}
    assert ids("disease_duration_min=5&disease_duration_max=15") == {"MID"}
    # MID's onset is ceil(10 * 365.25) = 3653 days back: 10.0014 years, the first day on which
    # it is >= 10 years (inclusive boundary); one day later onset would be 9.9986 years.
    assert ids("disease_duration_min=10") == {"OLD", "MID"}
    assert ids("disease_duration_min=10.01") == {"OLD"}


def test_year_precision_duration_filter_uses_the_midpoint(api, center):
    """Onset "Y" is taken as 1 July Y: on the day before its midpoint's anniversary the patient
    is just under N years, so the filter boundary follows 1 July, not 1 January."""
    today = timezone.localdate()
    year = today.year - 6 if (today.month, today.day) >= (7, 1) else today.year - 7
    factories.make_patient(
        center,
        local_id="Y",
        first_non_raynaud_onset=date(year, 1, 1),
        first_non_raynaud_onset_precision="year",
    )
    years = (today - date(year, 7, 1)).days / 365.25
    rows = api.get(f"/api/v1/patients/?disease_duration_min={years - 0.01:.2f}").json()["results"]
    assert [r["local_id"] for r in rows] == ["Y"]
    rows = api.get(f"/api/v1/patients/?disease_duration_min={years + 0.01:.2f}").json()["results"]
    assert rows == []


def test_filters_antibody_subtype_calcinosis_and_unknown_parameter(api, center):
    aca = factories.make_patient(center, antibody_aca="positive", ssc_subtype="limited_cutaneous")
    factories.make_patient(center, antibody_aca="negative", ssc_subtype="diffuse_cutaneous")
    factories.make_lesion(factories.make_radiograph(aca))

    def ids(query: str) -> list[int]:
        return [r["id"] for r in api.get(f"/api/v1/patients/?{query}").json()["results"]]

    assert ids("aca=positive") == [aca.pk]
    assert ids("ssc_subtype=limited_cutaneous") == [aca.pk]
    assert ids("has_calcinosis=true") == [aca.pk]
    assert ids("meets_acr_eular_2013=false") != []
    response = api.get("/api/v1/patients/?subtype=limited_cutaneous")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "subtype"


def test_cursor_pagination_is_stable(api, center):
    for n in range(7):
        factories.make_patient(center, local_id=f"P{n}")
    seen, url = [], "/api/v1/patients/?page_size=3&ordering=birth_date"
    while url:
        page = api.get(url).json()
        seen += [r["local_id"] for r in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(f"P{n}" for n in range(7)) and len(seen) == 7
