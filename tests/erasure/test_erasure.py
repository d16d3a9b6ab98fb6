"""THE erasure test: after ``patient_erase``, a byte search of the whole database (``pg_dump`` on
PostgreSQL, the database image on SQLite) and of every stored file finds none of the patient's
identifying values, while another patient's rows stay.

Data is committed (``transaction=True``): pg_dump reads from its own connection, and the stored
files are deleted after commit.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pydicom
import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from rest_framework.test import APIClient

from access_log.services import access_log_of_patient, access_log_record
from accounts.services import user_add
from erasure.models import ErasureTombstone
from erasure.services import patient_erase
from exports.models import ExportJob
from exports.services import export_request
from imaging.dicom.ingest import radiograph_ingest
from imaging.models import CalcinosisLesion, DicomInstance, Radiograph
from patients.models import Patient, Visit
from patients.services import patient_save
from progression.models import ProgressionSnapshot
from progression.services import progression_recompute
from tests import factories
from tests.imaging.dicom_factory import make_dx, to_bytes

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LOCAL_ID = "ERASE-ME-4471"
BIRTH = date(1941, 7, 23)
UID_ROOT = "1.2.826.0.1.3680043.8.498.774"
ISSUER = "SYNTH-HOSPITAL"  # (0010,0021) of tests.imaging.dicom_factory.make_dx
ACQUIRED = date(2024, 3, 12)  # the date of tests.imaging.dicom_factory.make_dx


def _database_bytes() -> bytes:
    """Every byte the database holds: a pg_dump of the whole test database, or the SQLite image
    (free pages included: that is where deleted rows linger)."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.serialize()
    pg_dump = shutil.which("pg_dump") or "/usr/bin/pg_dump"
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    command = [pg_dump, "--no-owner", "-h", db.get("HOST") or "127.0.0.1"]
    command += ["-p", str(db.get("PORT") or 5432), "-U", db.get("USER") or "postgres", db["NAME"]]
    return subprocess.run(command, env=env, check=True, capture_output=True).stdout


def _stored_bytes() -> dict[str, bytes]:
    """Every stored file (media folder: DICOM, previews, export zips)."""
    root = Path(settings.MEDIA_ROOT)
    return {str(path): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def _image(n: int, laterality: str = "L", patient_id: str = LOCAL_ID) -> bytes:
    """A small DX image of the patient (128 x 96: fast), with its own original UIDs."""
    ds = make_dx(sop_instance_uid=f"{UID_ROOT}.1{n}", image_laterality=laterality)
    ds.StudyInstanceUID, ds.SeriesInstanceUID = f"{UID_ROOT}.2{n}", f"{UID_ROOT}.3{n}"
    ds.PatientID, ds.PatientBirthDate = patient_id, BIRTH.strftime("%Y%m%d")
    return to_bytes(ds)


def _original_uids(data: bytes) -> list[str]:
    ds = pydicom.dcmread(io.BytesIO(data))
    return [ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID]


def _build(center, other_center, clinician):
    """A patient with every kind of record (and an unmatched image sent before they existed)."""
    queued_image = _image(0)
    queued = radiograph_ingest(queued_image, center=center, via="cli")
    assert queued.outcome == "unmatched"

    client = APIClient()
    client.force_authenticate(clinician)
    response = client.post(
        "/api/v1/patients/",
        {
            "center": center.code,
            "local_id": LOCAL_ID,
            "birth_date": BIRTH.isoformat(),
            "sex": "female",
            "ssc_subtype": "limited_cutaneous",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="erasure-test-create",
    )
    assert response.status_code == 201, response.content
    patient = Patient.objects.get(pk=response.json()["id"])
    patient.notes = "edited once: a second history row"
    patient_save(patient=patient)

    visit = factories.make_visit(patient, date=ACQUIRED)
    factories.make_visit(patient, date=date(2022, 9, 1)).delete()  # history of a deleted row
    images = [_image(1, "L"), _image(2, "R")]
    ingested = [radiograph_ingest(image, center=center, via="cli") for image in images]
    assert [result.outcome for result in ingested] == ["imported", "imported"]
    radiograph = Radiograph.objects.get(pk=ingested[0].radiograph_id)
    radiograph.visit = visit
    radiograph.save()
    track = factories.make_track(patient)
    factories.make_lesion(radiograph, track=track)
    progression_recompute(patient_id=patient.pk, force=True)
    LogEntry.objects.create(
        user=clinician,
        content_type=ContentType.objects.get_for_model(Patient),
        object_id=str(patient.pk),
        object_repr=str(patient),
        action_flag=CHANGE,
        change_message=f"changed {LOCAL_ID}",
    )
    factories.record_consent(patient)
    access_log_record(
        user=clinician,
        kind="api_detail",
        route=f"/api/v1/patients/{patient.pk}/",
        patient_ids=[patient.pk],
    )
    export = export_request(user=clinician, level="lesions", format="csv")

    identifying = [LOCAL_ID, patient.registry_id, BIRTH.isoformat(), BIRTH.strftime("%Y%m%d")]
    for image in [queued_image, *images]:
        identifying += _original_uids(image)
    for instance in DicomInstance.objects.filter(
        pk__in=[queued.instance_id] + [result.instance_id for result in ingested]
    ):
        identifying += [
            instance.study_instance_uid,
            instance.series_instance_uid,
            instance.sop_instance_uid,
        ]
    return patient, export, identifying


def _found(identifying: list[str]) -> list[str]:
    database = _database_bytes()
    files = _stored_bytes()
    found = [value for value in identifying if value.encode() in database]
    found += [
        f"{value} in {name}"
        for name, data in files.items()
        for value in identifying
        if value.encode() in data
    ]
    return found


def test_erasure_leaves_no_identifying_byte(center, other_center, settings):
    """After an erasure no identifying value of the patient is in the database's bytes or in
    any stored file; another patient, the tombstone and its counts remain."""
    # The default configuration: the center lists no issuer, and the queued image carries one
    # (found through its issuer-free key; regression: it survived erasure).
    assert not settings.REGISTRY_DICOM_ISSUERS
    clinician = user_add(email="clinician@north.example.org", center=center, role="clinician")
    admin = user_add(email="admin@north.example.org", center=center, role="center_admin")
    other = factories.make_patient(other_center, local_id="STAYS-0001")
    other_visit = factories.make_visit(other)
    patient, export, identifying = _build(center, other_center, clinician)
    export.refresh_from_db()
    assert export.status == ExportJob.Status.SUCCEEDED
    assert sorted(_found(identifying))  # the search finds them before the erasure

    patient_pk = patient.pk
    tombstone = patient_erase(patient=patient, actor=admin, reason="Art. 17 request 2026-12")

    assert _found(identifying) == []
    export.refresh_from_db()
    assert export.status == ExportJob.Status.EXPIRED and not export.file
    assert Patient.objects.filter(pk=other.pk).exists()
    assert Visit.objects.filter(pk=other_visit.pk).exists()
    assert (
        not CalcinosisLesion.objects.exists()
        and not ProgressionSnapshot.objects.filter(patient_id=patient_pk).exists()
    )
    stored = ErasureTombstone.objects.get()
    assert stored == tombstone
    assert stored.counts["patients.patient"] == 1
    assert stored.counts["imaging.radiograph"] == 2
    assert stored.counts["dicom_unmatched"] == 1
    assert stored.counts["dicom_files"] >= 3
    assert stored.counts["history_rows"] > 0
    assert stored.counts["idempotency_records"] == 1
    assert stored.counts["admin_log_entries"] == 1
    assert stored.counts["exports_expired"] == 1
    assert stored.counts["access_log_rows"] == 1
    assert stored.counts["consent.consentrecord"] == 1
    assert access_log_of_patient(patient_pk) == []
    text = f"{stored.registry_id_digest} {stored.reason} {stored.counts} {stored.erased_by_label}"
    assert not any(value in text for value in identifying)
    with pytest.raises(Patient.DoesNotExist):
        patient_erase(patient=Patient(pk=patient_pk), actor=admin, reason="again")


def test_a_file_another_center_holds_survives(center, other_center):
    """Content addressing: the same de-identified bytes received by another center for its own
    patient stay when this center's patient is erased; this patient's other files go."""
    admin = user_add(email="admin@north.example.org", center=center, role="center_admin")
    patient = factories.make_patient(center, local_id=LOCAL_ID, birth_date=BIRTH)
    theirs = factories.make_patient(other_center, local_id="SOUTH-1")
    shared, own = _image(1, "L"), _image(2, "R")
    for data, where, whom in [
        (shared, center, patient),
        (own, center, patient),
        (shared, other_center, theirs),
    ]:
        assert radiograph_ingest(data, center=where, via="cli", patient=whom).outcome == "imported"
    kept = DicomInstance.objects.get(patient=theirs)
    gone = DicomInstance.objects.get(patient=patient, laterality="right")
    storage = kept.file.storage

    tombstone = patient_erase(patient=patient, actor=admin, reason="Art. 17")

    assert storage.exists(kept.file.name)
    assert not storage.exists(gone.file.name)
    assert tombstone.counts["dicom_files"] >= 1
    assert DicomInstance.objects.filter(pk=kept.pk).exists()


def test_second_erase_through_the_api_is_a_404(center):
    """An erased patient is gone: erasing them again answers 404."""
    admin = user_add(email="admin@north.example.org", center=center, role="center_admin")
    patient = factories.make_patient(center)
    client = APIClient()
    client.force_authenticate(admin)
    url = f"/api/v1/patients/{patient.pk}/erase/"
    assert client.post(url, {"reason": "Art. 17"}, format="json").status_code == 201
    assert client.post(url, {"reason": "Art. 17"}, format="json").status_code == 404
