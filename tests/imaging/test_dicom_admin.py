"""The unmatched DICOM queue in the admin: center-scoped, assigned by an action."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.services import user_add
from imaging.dicom import ingest
from imaging.dicom.previews import dicom_previews_render
from imaging.models import DicomInstance, Radiograph
from tests import factories
from tests.imaging.dicom_factory import PATIENT_ID, make_dx, to_bytes

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:imaging_dicominstance_changelist"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def center_admin_client(client, center):
    user = user_add(
        email="doc@north.example", center=center, role="center_admin", password="pw-long-enough-1"
    )
    client.force_login(user)
    return client


def queued(center, n: int) -> DicomInstance:
    ds = make_dx(sop_instance_uid=f"1.2.826.0.1.3680043.8.498.9{n:03d}")
    result = ingest.radiograph_ingest(to_bytes(ds), center=center, via="cli")
    return DicomInstance.objects.get(pk=result.instance_id)


def test_queue_is_scoped_and_shows_no_identifier(center_admin_client, center, other_center):
    mine, theirs = queued(center, 1), queued(other_center, 2)
    page = center_admin_client.get(reverse(CHANGELIST), {"status__exact": "unmatched"})
    assert page.status_code == 200
    text = page.content.decode()
    assert f"#{mine.pk}" in text and f"#{theirs.pk}" not in text
    assert PATIENT_ID not in text and "Testpatient" not in text
    detail = center_admin_client.get(reverse("admin:imaging_dicominstance_change", args=[mine.pk]))
    assert detail.status_code == 200 and PATIENT_ID not in detail.content.decode()
    assert "source_patient_key" not in detail.content.decode()
    dicom_previews_render(instance_ids=[mine.pk])
    detail = center_admin_client.get(reverse("admin:imaging_dicominstance_change", args=[mine.pk]))
    assert f'src="/api/v1/dicom-unmatched/{mine.pk}/preview.png"' in detail.content.decode()


def test_assign_action_asks_for_the_patient_then_assigns(center_admin_client, center):
    instances = [queued(center, 3), queued(center, 4)]
    patient = factories.make_patient(center)
    factories.make_patient(factories.make_center("far"), local_id="FAR-1")
    selection = {"action": "assign_to_patient", "_selected_action": [i.pk for i in instances]}
    page = center_admin_client.post(reverse(CHANGELIST), selection)
    assert page.status_code == 200
    assert "Assign images to a patient" in page.content.decode()
    assert "FAR-1" not in page.content.decode()  # only the images' center's patients

    done = center_admin_client.post(
        reverse(CHANGELIST), {**selection, "apply": "1", "patient": patient.pk}
    )
    assert done.status_code == 302
    assert set(Radiograph.objects.values_list("patient", flat=True)) == {patient.pk}
    assert not DicomInstance.objects.unmatched().exists()


def test_images_of_two_centers_cannot_be_assigned_together(client, center, other_center):
    superuser = user_add(email="root@example.org", center=center, role="center_admin")
    superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)
    selection = {
        "action": "assign_to_patient",
        "_selected_action": [queued(center, 5).pk, queued(other_center, 6).pk],
    }
    response = client.post(reverse(CHANGELIST), selection, follow=True)
    assert "Select unmatched images of one center." in response.content.decode()
    assert not Radiograph.objects.exists()
