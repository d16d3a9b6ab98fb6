"""Role table of the export and import operations, every role each (like the DICOM table: these
take workflow bodies, answer 202 or a zip, and jobs belong to one user).

Anonymous 401, no role 403; researchers export (every center) but do not import; a job is seen
only by whoever asked for it (another user: 404, whatever their role); imports go to one of the
importer's clinical centers (another center: 400 naming ``center``).
"""

from __future__ import annotations

import io

import pytest
from django.db import transaction

from exports import services
from exports.tasks import run_export
from tests import factories
from tests.api.role_matrix import ROLES, schema
from tests.api.role_users import client_for, role_users

pytestmark = pytest.mark.django_db

LIST = ("GET", "/api/v1/exports/")
CREATE = ("POST", "/api/v1/exports/")
DETAIL = ("GET", "/api/v1/exports/{id}/")
DOWNLOAD = ("GET", "/api/v1/exports/{id}/download/")
DICTIONARY = ("GET", "/api/v1/exports/dictionary/")
IMPORT = ("POST", "/api/v1/imports/")

#            anonymous, no_role, researcher, clinician_b, admin_a, clinician_a
EXPECTED = {
    LIST: (401, 403, 200, 200, 200, 200),
    CREATE: (401, 403, 202, 202, 202, 202),
    DETAIL: (401, 403, 404, 404, 404, 200),
    DOWNLOAD: (401, 403, 404, 404, 404, 200),
    DICTIONARY: (401, 403, 200, 200, 200, 200),
    IMPORT: (401, 403, 403, 400, 200, 200),
}
PATIENTS_CSV = b"local_id,sex,birth_date,ssc_subtype\nR-1,female,1970-01-01,overlap\n"


@pytest.fixture
def world():
    center_a, center_b = factories.make_center("a", "A"), factories.make_center("b", "B")
    factories.make_patient(center_a)
    users = role_users(center_a, center_b)
    job = services.export_request(user=users["clinician_a"], level="patients", format="csv")
    run_export.delay(job.pk)
    clients = {role: client_for(user) for role, user in users.items()}
    return {"clients": clients, "job": job.pk}


def request(world, operation: tuple[str, str], role: str):
    _method, path = operation
    url = path.replace("{id}", str(world["job"]))
    client = world["clients"][role]
    with transaction.atomic():  # every call sees the same records
        if operation == IMPORT:
            upload = io.BytesIO(PATIENTS_CSV)
            upload.name = "patients.csv"
            response = client.post(url, {"file": upload, "center": "a"}, format="multipart")
        elif operation == CREATE:
            response = client.post(url, {"level": "patients", "format": "csv"}, format="json")
        elif operation == DICTIONARY:
            response = client.get(url, {"level": "patients"})
        else:
            response = client.get(url)
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("operation", list(EXPECTED), ids=lambda op: f"{op[0]} {op[1]}")
@pytest.mark.parametrize("role", ROLES)
def test_export_role_table(world, operation, role):
    expected = EXPECTED[operation][ROLES.index(role)]
    response = request(world, operation, role)
    assert response.status_code == expected, getattr(response, "content", b"")[:300]
    if operation == LIST and role in ("researcher", "clinician_b", "admin_a"):
        assert response.json()["results"] == []  # clinician_a's job is not theirs
    if operation == IMPORT and role == "clinician_b":
        assert response.json()["errors"][0]["field"] == "center"


def test_every_export_operation_is_in_the_table():
    """A new export or import operation of the schema cannot go unchecked."""
    methods = ("get", "post", "put", "patch", "delete")
    operations = {
        (method.upper(), path)
        for path, item in schema()["paths"].items()
        for method in item
        if method in methods and path.startswith(("/api/v1/exports/", "/api/v1/imports/"))
    }
    assert operations == set(EXPECTED)
