"""Security review, issue #12, finding 8: every field a researcher receives is on the research
allow-list (accounts.research_fields), nested ones included, and no free text, local id or
full birth date reaches them from any GET of the API."""

from __future__ import annotations

from datetime import date

import pytest

from accounts import research_fields as research
from accounts.services import user_add
from tests import factories
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

HOSTILE = "HOSTILE-TEXT"
LOCAL_ID = "MRN-HOSTILE-0042"
BIRTH_DATE = "1958-07-23"


def key_paths(value, prefix: str = "") -> set[str]:
    """Every dotted key path of a JSON value (list items share their list's path)."""
    if isinstance(value, dict):
        paths = set()
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            paths |= {path} | key_paths(item, path)
        return paths
    if isinstance(value, list):
        return set().union(*(key_paths(item, prefix) for item in value))
    return set()


@pytest.fixture
def hostile(center):
    """One patient with hostile free text in every text field of every model."""
    patient = factories.make_patient(
        center,
        local_id=LOCAL_ID,
        birth_date=date.fromisoformat(BIRTH_DATE),
        notes=f"{HOSTILE} patient notes",
        not_applicable=True,
        not_applicable_reason=f"{HOSTILE} reason",
        first_non_raynaud_onset=date(2013, 3, 1),
        first_non_raynaud_onset_precision="month",
    )
    visit = factories.make_visit(
        patient,
        notes=f"{HOSTILE} visit notes",
        ulceration=True,
        ulceration_site=f"{HOSTILE} ulceration",
        infection=True,
        infection_site=f"{HOSTILE} infection",
        drainage=True,
        drainage_site=f"{HOSTILE} drainage",
    )
    from patients.models import CalcinosisTreatment
    from patients.services import treatment_save

    treatment = treatment_save(
        treatment=CalcinosisTreatment(
            patient=patient,
            visit=visit,
            treatment="other",
            other_text=f"{HOSTILE} treatment",
            started_on=date(2023, 3, 15),
        )
    )
    radiograph = factories.make_radiograph(patient, visit=visit, notes=f"{HOSTILE} radiograph")
    from imaging.models import RadiographicFinding
    from imaging.services import finding_save

    finding = finding_save(
        finding=RadiographicFinding(
            radiograph=radiograph, finding="acro_osteolysis", digit=2, notes=f"{HOSTILE} finding"
        )
    )
    track = factories.make_track(patient, label=f"{HOSTILE} track label")
    lesion = factories.make_lesion(radiograph, track=track, notes=f"{HOSTILE} lesion")
    return {
        "patient": patient,
        "visit": visit,
        "treatment": treatment,
        "radiograph": radiograph,
        "finding": finding,
        "track": track,
        "lesion": lesion,
    }


def endpoints(rows: dict) -> list[tuple[str, frozenset[str] | None]]:
    """(path, allow-list) of every GET a researcher can make (None: not a record's fields)."""
    patient, radiograph = rows["patient"].pk, rows["radiograph"].pk
    resources = [
        ("patients", rows["patient"], research.PATIENT),
        ("visits", rows["visit"], research.VISIT),
        ("treatments", rows["treatment"], research.TREATMENT),
        ("radiographs", rows["radiograph"], research.RADIOGRAPH),
        ("findings", rows["finding"], research.FINDING),
        ("lesion-tracks", rows["track"], research.LESION_TRACK),
        ("lesions", rows["lesion"], research.LESION),
        ("centers", rows["patient"].center, research.CENTER),
    ]
    paths = []
    for prefix, row, allowed in resources:
        paths += [(f"/api/v1/{prefix}/", allowed), (f"/api/v1/{prefix}/{row.pk}/", allowed)]
    return [
        *paths,
        (f"/api/v1/patients/{patient}/visits/", research.VISIT),
        (f"/api/v1/radiographs/{radiograph}/lesions/", research.LESION),
        (f"/api/v1/patients/{patient}/progression/", None),
        ("/api/v1/cohort/progression/", None),
        ("/api/v1/exports/", None),
        ("/api/v1/tasks/", None),
    ]


def test_finding8_researcher_receives_only_allow_listed_fields(hostile, center):
    """Every key path of every GET is on its allow-list; no free text, local id, birth date."""
    client = client_for(user_add(email="r@north.example", center=center, role="researcher"))
    for path, allowed in endpoints(hostile):
        response = client.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        body = response.content.decode()
        for hidden in (HOSTILE, LOCAL_ID, BIRTH_DATE):
            assert hidden not in body, (path, hidden)
        if allowed is None:
            continue
        data = response.json()
        records = data.get("results", [data])
        assert records, path
        extra = key_paths(records) - research.allowed_paths(allowed)
        assert not extra, (path, sorted(extra))


def test_finding8_classification_reason_hidden_from_researchers_only(hostile, center, api):
    """The free-text reason is in the clinician's detail and not in the researcher's."""
    pk = hostile["patient"].pk
    clinical = api.get(f"/api/v1/patients/{pk}/").json()
    assert clinical["classification"]["not_applicable_reason"] == f"{HOSTILE} reason"
    researcher = client_for(user_add(email="r@north.example", center=center, role="researcher"))
    detail = researcher.get(f"/api/v1/patients/{pk}/").json()
    assert "not_applicable_reason" not in detail["classification"]
    assert detail["classification"]["not_applicable"] is True
    assert detail["birth_year"] == 1958


def test_finding8_allow_lists_hold_no_free_text_or_identifier():
    """The allow-lists themselves name no field that holds free text or an identifier."""
    hidden = {
        "local_id", "birth_date", "notes", "not_applicable_reason", "ulceration_site",
        "infection_site", "drainage_site", "other_text", "label",
        "study_instance_uid", "series_instance_uid", "sop_instance_uid",
    }
    lists = [
        research.PATIENT, research.VISIT, research.TREATMENT, research.RADIOGRAPH,
        research.FINDING, research.LESION_TRACK, research.LESION, research.CENTER,
        *research.NESTED.values(),
    ]
    for fields in lists:
        assert not fields & hidden
