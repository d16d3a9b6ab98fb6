"""Radiographs, lesions (mm from pixel points), tracks and findings over HTTP."""

import pytest

from imaging.models import CalcinosisLesion
from tests import factories

pytestmark = pytest.mark.django_db


def test_teaching_case_lesion_measured_by_clicking_two_points(api, patient):
    """Spacing 0.1 mm/px typed by hand ("manual", approximate): 150 px -> 15.0 mm,
    90 px -> 9.0 mm."""
    radiograph = api.post(
        "/api/v1/radiographs/",
        {
            "patient": patient.pk,
            "acquired_on": "2023-03-15",
            "body_region": "hand",
            "laterality": "left",
            "view": "pa",
            "pixel_spacing_mm": [0.1, 0.1],
        },
        format="json",
    ).json()
    assert radiograph["pixel_spacing_source"] == "manual"
    assert radiograph["pixel_spacing_approximate"] is True
    response = api.post(
        f"/api/v1/radiographs/{radiograph['id']}/lesions/",
        {
            "digit": 1,
            "segment": "distal_phalanx",
            "tissue": "soft_tissue",
            "longest_axis_px": [[100, 200], [250, 200]],
            "perpendicular_axis_px": [[175, 155], [175, 245]],
            "morphology": "stone",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    lesion = response.json()
    assert lesion["longest_diameter_mm"] == pytest.approx(15.0)
    assert lesion["perpendicular_diameter_mm"] == pytest.approx(9.0)
    assert (lesion["laterality"], lesion["measurement_source"], lesion["approximate"]) == (
        "left",
        "pixels",
        True,
    )
    assert lesion["patient"] == patient.pk


def test_pixel_points_on_a_radiograph_without_spacing(api, patient):
    radiograph = factories.make_radiograph(patient)
    response = api.post(
        "/api/v1/lesions/",
        {"radiograph": radiograph.pk, "longest_axis_px": [[0, 0], [30, 40]]},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "longest_axis_px" and "no pixel spacing" in error["message"]
    assert not CalcinosisLesion.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"longest_diameter_mm": 150}, "longest_diameter_mm"),
        ({"longest_diameter_mm": 0}, "longest_diameter_mm"),
        ({"longest_diameter_mm": 10, "perpendicular_diameter_mm": 12}, "perpendicular_diameter_mm"),
        ({"longest_diameter_mm": 10, "digit": 6}, "digit"),
        ({"longest_diameter_mm": 10, "laterality": "right"}, "laterality"),
        ({"longest_axis_px": [[0, 0]]}, "longest_axis_px"),
        ({}, "longest_diameter_mm"),
    ],
)
def test_lesion_errors_name_the_field(api, patient, payload, field):
    radiograph = factories.make_radiograph(patient)
    response = api.post("/api/v1/lesions/", {"radiograph": radiograph.pk, **payload}, format="json")
    assert response.status_code == 400, response.json()
    assert field in [e["field"] for e in response.json()["errors"]]


def test_track_of_another_patient_is_not_a_choice(api, center):
    mine, theirs = factories.make_patient(center), factories.make_patient(center)
    response = api.post(
        "/api/v1/lesions/",
        {
            "radiograph": factories.make_radiograph(mine).pk,
            "digit": 1,
            "segment": "distal_phalanx",
            "longest_diameter_mm": 5,
            "track": factories.make_track(theirs).pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "track"


def test_other_centers_radiograph_and_lesions_are_invisible(other_api, patient):
    radiograph = factories.make_radiograph(patient)
    lesion = factories.make_lesion(radiograph)
    assert other_api.get(f"/api/v1/radiographs/{radiograph.pk}/").status_code == 404
    assert other_api.get(f"/api/v1/radiographs/{radiograph.pk}/lesions/").status_code == 404
    assert other_api.get(f"/api/v1/lesions/{lesion.pk}/").status_code == 404
    # Filtering by another center's radiograph answers exactly as for an id that does not exist.
    foreign = other_api.get(f"/api/v1/lesions/?radiograph={radiograph.pk}")
    missing = other_api.get("/api/v1/lesions/?radiograph=2000000000")
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json()["errors"][0]["code"] == missing.json()["errors"][0]["code"]
    response = other_api.post(
        "/api/v1/lesions/", {"radiograph": radiograph.pk, "longest_diameter_mm": 3}, format="json"
    )
    assert response.status_code == 400  # "does not exist", exactly as for an unknown id
    assert response.json()["errors"][0]["code"] == "does_not_exist"


def test_finding_with_its_site(api, patient):
    radiograph = factories.make_radiograph(patient)
    response = api.post(
        "/api/v1/findings/",
        {"radiograph": radiograph.pk, "finding": "cortical_thinning", "digit": 4, "joint": "pip"},
        format="json",
    )
    assert response.status_code == 201
    assert api.get(f"/api/v1/findings/?patient={patient.pk}").json()["results"][0]["joint"] == "pip"


def test_visit_nested_create_and_mrss_sites(api, patient):
    """17 sites all 1: total 17."""
    from patients.mrss import MRSS_SITES

    response = api.post(
        f"/api/v1/patients/{patient.pk}/visits/",
        {
            "date": "2024-03-20",
            "visit_type": "follow_up",
            "mrss_sites": dict.fromkeys(MRSS_SITES, 1),
            "calcinosis_pain_nrs": 6,
            "raynaud_attacks_per_day": 2.5,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["mrss_total"] == 17
    assert response.json()["raynaud_attacks_per_day"] == 2.5
    assert response.json()["patient"] == patient.pk


def test_history_shows_who_what_and_from_where(api, patient):
    visit = factories.make_visit(patient, calcinosis_pain_nrs=4)
    api.patch(
        f"/api/v1/visits/{visit.pk}/",
        {"calcinosis_pain_nrs": 7},
        format="json",
        REMOTE_ADDR="10.1.2.3",
    )
    history = api.get(f"/api/v1/visits/{visit.pk}/history/").json()
    latest = history[0]
    assert (latest["action"], latest["source"], latest["user"]) == (
        "changed",
        "api",
        "clinician@north.example",
    )
    assert latest["remote_addr"] == "10.1.2.3"
    assert {"field": "calcinosis_pain_nrs", "old": 4, "new": 7} in latest["changes"]
    assert history[-1]["action"] == "created"
    # History is read-only.
    assert api.delete(f"/api/v1/visits/{visit.pk}/history/").status_code == 405


def test_researcher_cannot_read_history(researcher_api, patient):
    assert researcher_api.get(f"/api/v1/patients/{patient.pk}/history/").status_code == 403
