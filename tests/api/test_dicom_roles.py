"""Role table of the DICOM operations (upload, files, the unmatched queue), every role each.

The generic role matrix (test_role_matrix.py) leaves these operations to this table because they
take multipart bodies, answer PNG or DICOM, or are clinical-only work queues. Same rules:
anonymous 401, no role 403, researchers read files but neither write nor see the queue, another
center's record is 404 (a POST naming one: 400 "does not exist").
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from imaging.dicom import ingest
from imaging.dicom.previews import dicom_previews_render
from tests import factories
from tests.api.role_matrix import COVERED_ELSEWHERE, ROLES, schema
from tests.api.role_users import client_for, role_users
from tests.imaging.dicom_factory import PATIENT_ID, make_dx, to_bytes

pytestmark = pytest.mark.django_db

UPLOAD = ("POST", "/api/v1/radiographs/dicom/")
PREVIEW = ("GET", "/api/v1/radiographs/{id}/preview.png")
FILE = ("GET", "/api/v1/radiographs/{id}/dicom")
QUEUE = ("GET", "/api/v1/dicom-unmatched/")
QUEUED = ("GET", "/api/v1/dicom-unmatched/{id}/")
ASSIGN = ("POST", "/api/v1/dicom-unmatched/{id}/assign/")
QUEUED_PREVIEW = ("GET", "/api/v1/dicom-unmatched/{id}/preview.png")

#            anonymous, no_role, researcher, clinician_b, admin_a, clinician_a
EXPECTED = {
    UPLOAD: (401, 403, 403, 400, 200, 200),
    PREVIEW: (401, 403, 200, 404, 200, 200),
    FILE: (401, 403, 200, 404, 200, 200),
    QUEUE: (401, 403, 403, 200, 200, 200),
    QUEUED: (401, 403, 403, 404, 200, 200),
    ASSIGN: (401, 403, 403, 404, 200, 200),
    QUEUED_PREVIEW: (401, 403, 403, 404, 200, 200),
}


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    center_a, center_b = factories.make_center("a", "A"), factories.make_center("b", "B")
    patient = factories.make_patient(center_a, local_id=PATIENT_ID)
    matched = ingest.radiograph_ingest(to_bytes(make_dx()), center=center_a, via="cli")
    stranger = make_dx(sop_instance_uid="1.2.826.0.1.3680043.8.498.991")
    stranger.PatientID = "NOT-HERE"
    queued = ingest.radiograph_ingest(to_bytes(stranger), center=center_a, via="cli")
    dicom_previews_render(instance_ids=[matched.instance_id, queued.instance_id])
    users = role_users(center_a, center_b)
    clients = {role: client_for(user) for role, user in users.items()}
    return {
        "clients": clients,
        "patient": patient,
        "radiograph": matched.radiograph_id,
        "queued": queued.instance_id,
    }


def request(world, operation: tuple[str, str], role: str):
    method, path = operation
    named = world["queued"] if "dicom-unmatched" in path else world["radiograph"]
    url = path.replace("{id}", str(named))
    client = world["clients"][role]
    with transaction.atomic():  # every call sees the same records
        if operation == UPLOAD:
            body = {
                "files": [SimpleUploadedFile("x.dcm", to_bytes(make_dx(sop_instance_uid="9.9")))],
                "patient": world["patient"].pk,
            }
            response = client.post(url, body, format="multipart")
        elif method == "POST":
            response = client.post(url, {"patient": world["patient"].pk}, format="json")
        else:
            response = client.get(url)
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("operation", list(EXPECTED), ids=lambda op: f"{op[0]} {op[1]}")
@pytest.mark.parametrize("role", ROLES)
def test_dicom_role_table(world, operation, role):
    expected = EXPECTED[operation][ROLES.index(role)]
    response = request(world, operation, role)
    assert response.status_code == expected, getattr(response, "content", b"")[:300]
    if operation == QUEUE and role == "clinician_b":
        assert response.json()["results"] == []  # center A's queue is not B's
    if operation == UPLOAD and role == "clinician_b":
        assert response.json()["errors"][0]["code"] == "does_not_exist"


def test_every_dicom_operation_is_in_the_table():
    """A new DICOM operation of the schema cannot slip past both role tables."""
    methods = ("get", "post", "put", "patch", "delete")
    operations = {
        (method.upper(), path)
        for path, item in schema()["paths"].items()
        for method in item
        if method in methods
    }
    assert set(EXPECTED) <= COVERED_ELSEWHERE
    assert {op for op in operations if "dicom" in op[1] or op[1].endswith(".png")} == set(EXPECTED)
