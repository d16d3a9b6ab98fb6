"""The viewer's burned-in text review form (security review, finding 9)."""

from __future__ import annotations

import pytest

from accounts.services import user_add
from imaging.models import DicomInstance
from tests import factories
from tests.api.test_burned_in_review import ABSENT, NO_TEXT, TEXT_PRESENT, ingested
from tests.imaging.dicom_factory import PATIENT_ID

pytestmark = pytest.mark.django_db

FORM = "Burned-in text review"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def web(client, center):
    factories.make_patient(center, local_id=PATIENT_ID)
    client.force_login(user_add(email="doc@north.example", center=center, role="clinician"))
    return client


def test_finding9_clinician_reviews_an_untagged_image_in_the_viewer(web, center):
    """The form shows for an untagged image; "no text" releases it, with a message."""
    radiograph = ingested(center, ABSENT)
    page = web.get(f"/radiographs/{radiograph}/").content.decode()
    assert FORM in page and 'name="csrfmiddlewaretoken"' in page and "<script>" not in page
    response = web.post(
        f"/radiographs/{radiograph}/burned-in-review/", {"verdict": NO_TEXT}, follow=True
    )
    assert "Burned-in text review saved: no burned-in text." in response.content.decode()
    instance = DicomInstance.objects.get(radiograph=radiograph)
    assert (instance.burned_in_verdict, instance.research_visible) == (NO_TEXT, True)
    assert instance.burned_in_reviewed_by.username == "doc@north.example"


def test_no_form_when_the_header_says_no(web, center):
    """An explicit NO needs no review: the viewer does not offer one."""
    assert FORM not in web.get(f"/radiographs/{ingested(center, 'NO')}/").content.decode()


def test_a_bad_verdict_is_a_message_not_a_change(web, center):
    """Anything but the two verdicts, or no DICOM: an error message and no change."""
    radiograph = ingested(center, "YES")
    response = web.post(
        f"/radiographs/{radiograph}/burned-in-review/", {"verdict": ""}, follow=True
    )
    assert "Choose no_burned_in_text or burned_in_text_present." in response.content.decode()
    assert DicomInstance.objects.get(radiograph=radiograph).burned_in_verdict == ""
    typed = factories.make_radiograph(factories.make_patient(center, local_id="TYPED"))
    response = web.post(f"/radiographs/{typed.pk}/burned-in-review/", {"verdict": NO_TEXT})
    assert response.status_code == 302  # back to the viewer, saying there is nothing to review


def test_review_needs_post_and_the_radiographs_center(client, web, center, other_center):
    """GET is 405; another center's clinician gets 404; a researcher 403."""
    radiograph = ingested(center, ABSENT)
    url = f"/radiographs/{radiograph}/burned-in-review/"
    assert web.get(url).status_code == 405
    client.force_login(user_add(email="doc@south.example", center=other_center, role="clinician"))
    assert client.post(url, {"verdict": TEXT_PRESENT}).status_code == 404
    client.force_login(user_add(email="res@north.example", center=center, role="researcher"))
    assert client.post(url, {"verdict": NO_TEXT}).status_code == 403
    assert DicomInstance.objects.get(radiograph=radiograph).burned_in_verdict == ""
