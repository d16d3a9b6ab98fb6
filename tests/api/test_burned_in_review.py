"""Burned-in text: images withheld from researchers until reviewed (security review, finding 9)."""

from __future__ import annotations

import pytest
from django.db import transaction

from imaging.dicom import ingest
from imaging.dicom.burned_in import NOT_A_VERDICT, dicom_burned_in_review
from imaging.dicom.previews import dicom_previews_render
from imaging.models import DicomInstance
from tests import factories
from tests.api.role_matrix import COVERED_ELSEWHERE, ROLES, schema
from tests.api.role_users import client_for, role_users
from tests.imaging.dicom_factory import PATIENT_ID, SECONDARY_CAPTURE, make_dx, to_bytes

pytestmark = pytest.mark.django_db

NO_TEXT, TEXT_PRESENT = "no_burned_in_text", "burned_in_text_present"
REVIEW = ("POST", "/api/v1/radiographs/{id}/burned-in-review/")
#         anonymous, no_role, researcher, clinician_b, admin_a, clinician_a
EXPECTED = (401, 403, 403, 404, 200, 200)
ABSENT = object()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def ingested(center, header=ABSENT, n: int = 1) -> int:
    """A secondary capture of ``center``'s patient with (0028,0301) ``header`` (or none);
    its previews rendered. Returns the radiograph id."""
    ds = make_dx(
        sop_class_uid=SECONDARY_CAPTURE, sop_instance_uid=f"1.2.826.0.1.3680043.8.498.7{n}"
    )
    if header is ABSENT:
        del ds.BurnedInAnnotation
    else:
        ds.BurnedInAnnotation = header
    result = ingest.radiograph_ingest(to_bytes(ds), center=center, via="cli")
    assert result.outcome == "imported", result
    dicom_previews_render(instance_ids=[result.instance_id])
    return result.radiograph_id


@pytest.fixture
def patient(center):
    return factories.make_patient(center, local_id=PATIENT_ID)


def pixels(client, radiograph: int) -> list[tuple[int, str | None]]:
    """(status, error code) of the preview and the file."""
    answers = []
    for path in ("preview.png", "dicom"):
        response = client.get(f"/api/v1/radiographs/{radiograph}/{path}")
        code = None if response.status_code == 200 else response.json()["errors"][0]["code"]
        answers.append((response.status_code, code))
    return answers


def review(client, radiograph: int, verdict: str):
    return client.post(
        f"/api/v1/radiographs/{radiograph}/burned-in-review/", {"verdict": verdict}, format="json"
    )


WITHHELD = [(403, "burned_in_annotation")] * 2
VISIBLE = [(200, None)] * 2


def test_finding9_secondary_capture_without_the_tag_is_withheld_until_reviewed(
    api, researcher_api, patient, center
):
    """No (0028,0301): researchers get 403 until a clinician says "no text", then 200."""
    radiograph = ingested(center)
    assert pixels(researcher_api, radiograph) == WITHHELD
    assert pixels(api, radiograph) == VISIBLE  # clinicians review what they see

    response = review(api, radiograph, NO_TEXT)
    assert response.status_code == 200, response.json()
    state = response.json()
    assert (state["header"], state["verdict"], state["research_visible"]) == (None, NO_TEXT, True)
    assert state["reviewed_by"] == "clinician@north.example" and state["reviewed_at"]
    assert pixels(researcher_api, radiograph) == VISIBLE


def test_text_present_keeps_the_image_withheld(api, researcher_api, patient, center):
    """A "text present" verdict withholds even an image whose header said NO."""
    unknown, said_no = ingested(center, n=1), ingested(center, "NO", n=2)
    for radiograph in (unknown, said_no):
        assert review(api, radiograph, TEXT_PRESENT).status_code == 200
        assert pixels(researcher_api, radiograph) == WITHHELD


def test_explicit_no_is_visible_at_once_and_yes_is_withheld(researcher_api, patient, center):
    """Header NO: no review needed; header YES: withheld like an absent one."""
    assert pixels(researcher_api, ingested(center, "NO", n=1)) == VISIBLE
    assert pixels(researcher_api, ingested(center, "YES", n=2)) == WITHHELD


def test_the_radiograph_shows_the_state_to_clinicians_only(api, researcher_api, patient, center):
    """Clinicians read header, verdict and reviewer; researchers' allow-list leaves it out."""
    radiograph = ingested(center, "YES")
    url = f"/api/v1/radiographs/{radiograph}/"
    assert api.get(url).json()["burned_in"] == {
        "header": "YES",
        "verdict": "",
        "reviewed_at": None,
        "reviewed_by": None,
        "research_visible": False,
    }
    assert "burned_in" not in researcher_api.get(url).json()
    typed = factories.make_radiograph(patient)
    assert api.get(f"/api/v1/radiographs/{typed.pk}/").json()["burned_in"] is None


def test_other_centers_clinician_gets_404_and_researchers_403(
    other_api, researcher_api, patient, center
):
    """Reviewing is a change: another center's image does not exist; researchers may not."""
    radiograph = ingested(center)
    assert review(other_api, radiograph, NO_TEXT).status_code == 404
    response = review(researcher_api, radiograph, NO_TEXT)
    assert response.status_code == 403
    instance = DicomInstance.objects.get(radiograph=radiograph)
    assert (instance.burned_in_verdict, instance.research_visible) == ("", False)


def test_a_bad_verdict_is_400_naming_the_field(api, patient, center):
    """Only the two verdicts; "" (un-review) and unknown keys are refused."""
    radiograph = ingested(center)
    for body in ({"verdict": ""}, {"verdict": "maybe"}, {}, {"verdict": NO_TEXT, "x": 1}):
        response = api.post(
            f"/api/v1/radiographs/{radiograph}/burned-in-review/", body, format="json"
        )
        assert response.status_code == 400, body
        assert response.json()["errors"][0]["field"] in ("verdict", "x")
    typed = factories.make_radiograph(factories.make_patient(center, local_id="TYPED"))
    response = review(api, typed.pk, NO_TEXT)
    assert (response.status_code, response.json()["errors"][0]["code"]) == (404, "no_dicom")


def test_the_review_is_in_the_history(clinician, patient, center):
    """Each verdict leaves a history row naming the reviewer; the service refuses others."""
    instance = DicomInstance.objects.get(radiograph=ingested(center))
    dicom_burned_in_review(instance=instance, user=clinician, verdict=TEXT_PRESENT)
    dicom_burned_in_review(instance=instance, user=clinician, verdict=NO_TEXT)
    rows = list(instance.history.order_by("history_id"))
    assert [row.burned_in_verdict for row in rows] == ["", TEXT_PRESENT, NO_TEXT]
    assert {row.history_user for row in rows[1:]} == {clinician}
    with pytest.raises(Exception, match=NOT_A_VERDICT):
        dicom_burned_in_review(instance=instance, user=clinician, verdict="")


@pytest.mark.parametrize(
    ("header", "verdict", "visible"),
    [
        (None, "", False),
        (True, "", False),
        (False, "", True),
        (None, NO_TEXT, True),
        (True, NO_TEXT, True),
        (False, TEXT_PRESENT, False),
    ],
)
def test_research_visible_rule(header, verdict, visible):
    """A verdict decides; unreviewed, only an explicit NO."""
    image = DicomInstance(burned_in_annotation=header, burned_in_verdict=verdict)
    assert image.research_visible is visible


# --- the role table (test_role_matrix leaves this operation here) ------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_burned_in_review_role_table(role):
    """Same rules as every change: 401, 403, researchers 403, other center 404, clinical 200."""
    center_a, center_b = factories.make_center("a", "A"), factories.make_center("b", "B")
    factories.make_patient(center_a, local_id=PATIENT_ID)
    radiograph = ingested(center_a)
    client = client_for(role_users(center_a, center_b)[role])
    with transaction.atomic():
        response = review(client, radiograph, NO_TEXT)
        transaction.set_rollback(True)
    assert response.status_code == EXPECTED[ROLES.index(role)], response.content[:300]


def test_the_review_operation_is_described_and_left_to_this_table():
    """The schema has the operation with a summary; the generic matrix defers to this file."""
    operation = schema()["paths"][REVIEW[1]]["post"]
    assert operation["summary"]
    assert REVIEW in COVERED_ELSEWHERE
