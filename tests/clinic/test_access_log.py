"""The clinic's reads in the access log, and the "who looked" section for center admins."""

from __future__ import annotations

import pytest
from django.urls import reverse

from access_log.models import AccessKind, AccessLogEntry
from accounts.services import user_add
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(center):
    return factories.make_patient(center, local_id="WHO-1")


def test_patient_page_viewer_and_list_are_logged(client, center, patient):
    """The patient page, the radiograph viewer and the list each write one entry."""
    client.force_login(user_add(email="doc@c.example", center=center, role="clinician"))
    radiograph = factories.make_radiograph(patient)
    assert client.get(reverse("clinic:patient-detail", args=[patient.pk])).status_code == 200
    assert client.get(reverse("clinic:radiograph", args=[radiograph.pk])).status_code == 200
    assert client.get(reverse("clinic:patient-list")).status_code == 200
    kinds = list(AccessLogEntry.objects.order_by("id").values_list("kind", "object_id"))
    assert kinds == [
        (AccessKind.CLINIC_PATIENT, patient.pk),
        (AccessKind.CLINIC_VIEWER, radiograph.pk),
        (AccessKind.CLINIC_PATIENT_LIST, None),
    ]
    assert all(e.patients.get().patient_id == patient.pk for e in AccessLogEntry.objects.all())


def test_who_looked_section_for_center_admins_only(client, center, patient):
    """A center admin sees the readers on the patient page; a clinician does not."""
    clinician = user_add(email="doc@c.example", center=center, role="clinician")
    admin = user_add(email="boss@c.example", center=center, role="center_admin")
    url = reverse("clinic:patient-detail", args=[patient.pk])
    client.force_login(clinician)
    page = client.get(url).content.decode()
    assert "Who looked at this record" not in page
    client.force_login(admin)
    page = client.get(url).content.decode()
    assert "Who looked at this record" in page and "doc@c.example" in page
    assert reverse("api:access-log-csv") in page


def test_missing_patient_page_logs_nothing(client, center):
    """A 404 writes no entry."""
    client.force_login(user_add(email="doc@c.example", center=center, role="clinician"))
    assert client.get(reverse("clinic:patient-detail", args=[999999])).status_code == 404
    assert not AccessLogEntry.objects.exists()
