"""``manage.py patient_erase`` and the ordinary delete's files."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.services import user_add
from erasure.management.commands.patient_erase import (
    ACTOR_NOT_ADMIN,
    ALREADY_ERASED,
    CANCELLED,
)
from erasure.models import ErasureTombstone
from imaging.dicom.ingest import radiograph_ingest
from imaging.models import DicomInstance
from patients.models import Patient
from tests import factories
from tests.imaging.dicom_factory import make_dx, to_bytes

UID_ROOT = "1.2.826.0.1.3680043.8.498.775"

pytestmark = pytest.mark.django_db(transaction=True)


def test_cli_erases_after_confirmation(center, monkeypatch):
    """The command asks for the registry id, erases, prints the counts; a second run says the
    patient was erased already; a clinician may not erase; a wrong answer erases nothing."""
    admin = user_add(email="admin@north.example.org", center=center, role="center_admin")
    user_add(email="doc@north.example.org", center=center, role="clinician")
    patient = factories.make_patient(center)
    args = ["patient_erase", "--registry-id", patient.registry_id, "--reason", "Art. 17"]
    with pytest.raises(CommandError, match=ACTOR_NOT_ADMIN.format(email="doc@north.example.org")):
        call_command(*args, "--actor", "doc@north.example.org", "--yes")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match=CANCELLED):
        call_command(*args, "--actor", admin.username)
    assert Patient.objects.filter(pk=patient.pk).exists()
    monkeypatch.setattr("builtins.input", lambda prompt: patient.registry_id)
    out = io.StringIO()
    call_command(*args, "--actor", admin.username, stdout=out)
    assert "patients.patient: 1" in out.getvalue()
    assert not Patient.objects.filter(pk=patient.pk).exists()
    assert ErasureTombstone.objects.get().erased_by == admin
    message = ALREADY_ERASED.format(registry_id=patient.registry_id)
    with pytest.raises(CommandError, match=message.split("(")[0]):
        call_command(*args, "--actor", admin.username, "--yes")


def test_plain_delete_removes_the_stored_files(center):
    """DELETE /api/v1/patients/{id}/ removes the patient's DICOM file and previews once
    committed; a file another center's row names stays."""
    clinician = user_add(email="doc@north.example.org", center=center, role="clinician")
    other_center = factories.make_center("south", "South clinic")
    patient = factories.make_patient(center, local_id="DEL-1")
    theirs = factories.make_patient(other_center, local_id="DEL-2")
    shared = to_bytes(make_dx(sop_instance_uid=f"{UID_ROOT}.1", image_laterality="L"))
    own = to_bytes(make_dx(sop_instance_uid=f"{UID_ROOT}.2", image_laterality="R"))
    radiograph_ingest(shared, center=center, via="cli", patient=patient)
    radiograph_ingest(own, center=center, via="cli", patient=patient)
    radiograph_ingest(shared, center=other_center, via="cli", patient=theirs)
    gone = DicomInstance.objects.get(patient=patient, laterality="right")
    kept = DicomInstance.objects.get(patient=theirs)
    names = [gone.file.name, gone.thumbnail.name, gone.viewer_image.name]
    assert all(names)
    storage = gone.file.storage
    assert all(storage.exists(name) for name in names)
    client = APIClient()
    client.force_authenticate(clinician)
    response = client.delete(f"/api/v1/patients/{patient.pk}/?reason=duplicate")
    assert response.status_code == 204
    assert not any(storage.exists(name) for name in names)
    assert storage.exists(kept.file.name) and storage.exists(kept.thumbnail.name)
