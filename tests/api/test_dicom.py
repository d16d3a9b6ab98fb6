"""DICOM over HTTP: upload, previews and the de-identified file, the unmatched queue."""

from __future__ import annotations

import io
import tempfile

import pydicom
import pytest
from django.core.files import uploadedfile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from imaging.models import DicomInstance, Radiograph
from registry.celery import app as celery_app
from tests import factories
from tests.imaging.dicom_factory import PATIENT_ID, PATIENT_NAME, make_dx, to_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/radiographs/dicom/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path, monkeypatch):
    """Fresh storage; previews rendered in-process whatever the environment's broker."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    monkeypatch.setitem(celery_app.conf, "CELERY_TASK_ALWAYS_EAGER", True)


@pytest.fixture
def matched(center):
    return factories.make_patient(center, local_id=PATIENT_ID)


def dicom_file(n: int = 1, name: str = "", **changes) -> SimpleUploadedFile:
    ds = make_dx(sop_instance_uid=f"1.2.826.0.1.3680043.8.498.8{n:03d}")
    for keyword, value in changes.items():
        setattr(ds, keyword, value)
    return SimpleUploadedFile(name or f"image{n}.dcm", to_bytes(ds), "application/dicom")


def upload(client, *files, committed=None, **fields):
    data = {"files": list(files), **fields}
    if committed is None:
        return client.post(URL, data, format="multipart")
    with committed(execute=True):
        return client.post(URL, data, format="multipart")


def test_upload_one_file_creates_the_radiograph(api, matched):
    response = upload(api, dicom_file())
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["counts"] == {"imported": 1, "duplicate": 0, "unmatched": 0, "rejected": 0}
    result = body["results"][0]
    assert (result["filename"], result["outcome"], result["reason"]) == (
        "image1.dcm",
        "imported",
        "",
    )
    radiograph = api.get(f"/api/v1/radiographs/{result['radiograph']}/").json()
    assert (radiograph["patient"], radiograph["acquired_on"]) == (matched.pk, "2024-03-12")
    assert radiograph["pixel_spacing_mm"] == [0.1, 0.1]
    assert radiograph["pixel_spacing_source"] == "projection"


def test_a_bad_file_does_not_abort_the_good_ones(api, matched):
    """Each file gets its own result; the good ones are imported."""
    truncated = to_bytes(make_dx(sop_instance_uid="1.2.826.0.1.3680043.8.498.899"))
    response = upload(
        api,
        dicom_file(1),
        SimpleUploadedFile("notes.txt", b"not an image"),
        SimpleUploadedFile("cut.dcm", truncated[: len(truncated) // 2]),
        dicom_file(1, name="again.dcm"),
        dicom_file(2, PatientID="UNKNOWN-9"),
    )
    assert response.status_code == 200
    outcomes = [(r["filename"], r["outcome"], r["reason"]) for r in response.json()["results"]]
    assert outcomes == [
        ("image1.dcm", "imported", ""),
        ("notes.txt", "rejected", "not_dicom"),
        ("cut.dcm", "rejected", "truncated"),
        ("again.dcm", "duplicate", "already_received"),
        ("image2.dcm", "unmatched", "no_patient"),
    ]
    assert Radiograph.objects.count() == 1


def test_upload_for_a_chosen_patient(api, center):
    chosen = factories.make_patient(center)
    response = upload(api, dicom_file(), patient=chosen.pk)
    assert Radiograph.objects.get(pk=response.json()["results"][0]["radiograph"]).patient == chosen


def test_upload_for_another_centers_patient_is_refused(api, other_center):
    stranger = factories.make_patient(other_center)
    response = upload(api, dicom_file(), patient=stranger.pk)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "patient"
    assert not DicomInstance.objects.exists()


def test_file_over_the_limit_is_413(api, settings):
    settings.REGISTRY_DICOM_MAX_FILE_MB = 0
    response = upload(api, dicom_file())
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "file_too_large"


def test_too_many_files_is_refused(api, settings):
    settings.REGISTRY_DICOM_MAX_FILES = 1
    response = upload(api, dicom_file(1), dicom_file(2))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "files"
    assert not DicomInstance.objects.exists()


def test_researchers_cannot_upload(researcher_api, matched):
    assert upload(researcher_api, dicom_file()).status_code == 403


def test_uploads_never_reach_a_temporary_file(api, matched, settings, tmp_path, monkeypatch):
    """Django writes uploads over FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file (deleted
    after the request, so the folder alone proves nothing): none may even be created."""
    temp = tmp_path / "uploads"
    temp.mkdir()
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1
    settings.FILE_UPLOAD_TEMP_DIR = str(temp)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    created = []
    real = uploadedfile.tempfile.NamedTemporaryFile

    def spy(*args, **kwargs):
        handle = real(*args, **kwargs)
        created.append(handle.name)
        return handle

    monkeypatch.setattr(uploadedfile.tempfile, "NamedTemporaryFile", spy)
    assert upload(api, dicom_file()).json()["counts"]["imported"] == 1
    assert created == []
    assert list(temp.iterdir()) == []


# --- files and previews ---------------------------------------------------------------------


def _imported(api, django_capture_on_commit_callbacks) -> int:
    response = upload(api, dicom_file(), committed=django_capture_on_commit_callbacks)
    return response.json()["results"][0]["radiograph"]


def test_preview_png_in_two_sizes(api, matched, django_capture_on_commit_callbacks):
    radiograph = _imported(api, django_capture_on_commit_callbacks)
    thumb = api.get(f"/api/v1/radiographs/{radiograph}/preview.png", HTTP_ACCEPT="image/png")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/png"
    assert max(Image.open(io.BytesIO(b"".join(thumb.streaming_content))).size) <= 256
    viewer = api.get(f"/api/v1/radiographs/{radiograph}/preview.png?size=viewer")
    assert Image.open(io.BytesIO(b"".join(viewer.streaming_content))).size == (96, 128)
    assert api.get(f"/api/v1/radiographs/{radiograph}/preview.png?size=huge").status_code == 400


def test_dicom_file_is_the_deidentified_one(api, matched, django_capture_on_commit_callbacks):
    radiograph = _imported(api, django_capture_on_commit_callbacks)
    response = api.get(f"/api/v1/radiographs/{radiograph}/dicom")
    assert response["Content-Type"] == "application/dicom"
    data = b"".join(response.streaming_content)
    assert PATIENT_NAME.encode() not in data and PATIENT_ID.encode() not in data
    assert pydicom.dcmread(io.BytesIO(data)).PatientIdentityRemoved == "YES"


def test_files_follow_the_patients_access_rules(
    api, other_api, researcher_api, matched, django_capture_on_commit_callbacks
):
    """Other center: 404 (as if it did not exist); researchers: read; not DICOM: 404."""
    radiograph = _imported(api, django_capture_on_commit_callbacks)
    for path in ("preview.png", "dicom"):
        assert other_api.get(f"/api/v1/radiographs/{radiograph}/{path}").status_code == 404
        assert researcher_api.get(f"/api/v1/radiographs/{radiograph}/{path}").status_code == 200
    typed = factories.make_radiograph(matched)
    response = api.get(f"/api/v1/radiographs/{typed.pk}/dicom")
    assert (response.status_code, response.json()["errors"][0]["code"]) == (404, "no_dicom")


def test_pending_preview_says_so(api, matched):
    """Without the commit (no task ran), the preview is pending: 404 with its own code."""
    radiograph = upload(api, dicom_file()).json()["results"][0]["radiograph"]
    response = api.get(f"/api/v1/radiographs/{radiograph}/preview.png", HTTP_ACCEPT="image/png")
    assert (response.status_code, response.json()["errors"][0]["code"]) == (
        404,
        "preview_pending",
    )


# --- the unmatched queue --------------------------------------------------------------------


def test_unmatched_queue_lists_without_identifiers(api, other_api, researcher_api):
    upload(api, dicom_file(1))
    upload(api, dicom_file(2))
    response = api.get("/api/v1/dicom-unmatched/")
    assert response.status_code == 200
    items = response.json()["results"]
    assert [i["unmatched_reason"] for i in items] == ["no_patient", "no_patient"]
    assert {i["same_source_count"] for i in items} == {1}
    assert (items[0]["modality"], items[0]["laterality"], items[0]["view"]) == ("DX", "left", "pa")
    text = response.content.decode()
    for value in (PATIENT_ID, "Testpatient", "SYNTH-HOSPITAL", "source_patient_key"):
        assert value not in text
    assert other_api.get("/api/v1/dicom-unmatched/").json()["results"] == []
    assert researcher_api.get("/api/v1/dicom-unmatched/").status_code == 403


def test_assign_from_the_queue(api, center, other_center):
    upload(api, dicom_file(1))
    upload(api, dicom_file(2))
    first = DicomInstance.objects.order_by("pk").first()
    patient = factories.make_patient(center)
    stranger = factories.make_patient(other_center)
    url = f"/api/v1/dicom-unmatched/{first.pk}/assign/"
    refused = api.post(url, {"patient": stranger.pk}, format="json")
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (400, "patient")
    response = api.post(url, {"patient": patient.pk, "same_source": True}, format="json")
    assert response.status_code == 200, response.json()
    assigned = response.json()["assigned"]
    assert len(assigned) == 2
    assert set(Radiograph.objects.values_list("patient", flat=True)) == {patient.pk}
    assert api.get("/api/v1/dicom-unmatched/").json()["results"] == []
    assert api.post(url, {"patient": patient.pk}, format="json").status_code == 404


def test_assign_needs_the_missing_side(api, center):
    upload(api, dicom_file(1, ImageLaterality=""))
    instance = DicomInstance.objects.get()
    patient = factories.make_patient(center)
    url = f"/api/v1/dicom-unmatched/{instance.pk}/assign/"
    response = api.post(url, {"patient": patient.pk}, format="json")
    assert (response.status_code, response.json()["errors"][0]["field"]) == (400, "laterality")
    response = api.post(url, {"patient": patient.pk, "laterality": "right"}, format="json")
    assert response.status_code == 200
    assert Radiograph.objects.get().laterality == "right"


def test_unmatched_list_runs_constant_queries(api):
    """One image or three: the same number of queries (same-source counts in a subquery)."""
    upload(api, dicom_file(1))
    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/dicom-unmatched/")
    upload(api, dicom_file(2), dicom_file(3, PatientID="OTHER-1"))
    with CaptureQueriesContext(connection) as three:
        items = api.get("/api/v1/dicom-unmatched/").json()["results"]
    assert len(items) == 3
    assert len(one.captured_queries) == len(three.captured_queries)
