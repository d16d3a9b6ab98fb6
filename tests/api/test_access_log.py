"""The access log (issue 15): a row per read path, nothing for 4xx, who sees what, the CSV."""

from __future__ import annotations

import pytest
from django.urls import reverse

from access_log.models import AccessedPatient, AccessKind, AccessLogEntry
from api.views.access_log import AUDITORS_ONLY
from tests import factories
from tests.api.role_matrix import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def entries(kind: str) -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.filter(kind=kind).order_by("id"))


def patients_of(entry: AccessLogEntry) -> set[int]:
    return set(AccessedPatient.objects.filter(entry=entry).values_list("patient_id", flat=True))


def test_api_list_records_one_row_with_the_returned_patients(world):
    """One entry per list request, listing every patient of the page, by the token's owner."""
    extra = factories.make_patient(world.a["center"], local_id="A-LOCAL-2")
    response = world.clients["clinician_a"].get("/api/v1/patients/")
    assert response.status_code == 200
    [entry] = entries(AccessKind.API_LIST)
    assert entry.username == "clinician@a.example.org"
    assert entry.route == "api:patient-list"
    assert patients_of(entry) == {world.a["patient"].pk, extra.pk}
    assert entry.address == "127.0.0.1"


def test_api_list_of_visits_maps_rows_to_their_patients(world):
    """Rows that are not patients (findings, through their radiograph) log their patient."""
    world.clients["clinician_a"].get("/api/v1/findings/")
    [entry] = entries(AccessKind.API_LIST)
    assert patients_of(entry) == {world.a["patient"].pk}


def test_api_detail_and_history_are_recorded(world):
    """A record and its audit history: one entry each naming the record's key."""
    visit = world.a["visit"]
    world.clients["clinician_a"].get(f"/api/v1/visits/{visit.pk}/")
    world.clients["clinician_a"].get(f"/api/v1/visits/{visit.pk}/history/")
    [detail] = entries(AccessKind.API_DETAIL)
    [history] = entries(AccessKind.API_HISTORY)
    assert detail.object_id == visit.pk and history.object_id == visit.pk
    assert patients_of(detail) == patients_of(history) == {world.a["patient"].pk}


def test_refused_and_missing_requests_record_nothing(world):
    """403, 404 and 400 record nothing."""
    world.clients["clinician_b"].get(f"/api/v1/patients/{world.a['patient'].pk}/")
    world.clients["no_role"].get("/api/v1/patients/")
    world.clients["clinician_a"].get("/api/v1/patients/?no_such_filter=1")
    assert not AccessLogEntry.objects.exists()


def test_researcher_reads_are_recorded_too(world):
    """A researcher's pseudonymized list is still a read of those patients."""
    world.clients["researcher"].get("/api/v1/patients/")
    [entry] = entries(AccessKind.API_LIST)
    assert world.a["patient"].pk in patients_of(entry)
    assert world.b["patient"].pk in patients_of(entry)


def test_list_write_is_two_inserts_whatever_the_page(world):
    """The log costs one INSERT per table, for 1 patient as for 30."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def inserts(page_size: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            world.clients["clinician_a"].get(f"/api/v1/patients/?page_size={page_size}")
        return sum('INSERT INTO "access_log' in q["sql"] for q in queries.captured_queries)

    for n in range(30):
        factories.make_patient(world.a["center"], local_id=f"A-MANY-{n}")
    assert inserts(1) == inserts(30) == 2


def test_who_looked_visibility(world):
    """Admins see entries about their centers' patients, only those ids; others 403."""
    world.clients["researcher"].get("/api/v1/patients/")  # lists A's and B's patients
    response = world.clients["admin_a"].get("/api/v1/access-log/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["patients"] == [world.a["patient"].pk]
    for role in ("clinician_a", "researcher", "no_role"):
        forbidden = world.clients[role].get("/api/v1/access-log/")
        assert forbidden.status_code == 403
    errors = world.clients["clinician_a"].get("/api/v1/access-log/").json()["errors"]
    assert errors[0]["message"] == AUDITORS_ONLY
    whole = world.clients["superuser"].get("/api/v1/access-log/").json()["results"]
    assert set(whole[0]["patients"]) == {world.a["patient"].pk, world.b["patient"].pk}


def test_patient_access_log_endpoint(world):
    """/patients/{id}/access-log/: the patient's readers; another center's patient is 404."""
    patient = world.a["patient"]
    world.clients["clinician_a"].get(f"/api/v1/patients/{patient.pk}/")
    url = f"/api/v1/patients/{patient.pk}/access-log/"
    rows = world.clients["admin_a"].get(url).json()["results"]
    assert [row["username"] for row in rows] == ["clinician@a.example.org"]
    other = f"/api/v1/patients/{world.b['patient'].pk}/access-log/"
    assert world.clients["admin_a"].get(other).status_code == 404
    assert world.clients["clinician_a"].get(url).status_code == 403


def test_filters_user_since_until_patient(world):
    """The list filters by reader, time window and patient."""
    world.clients["clinician_a"].get(f"/api/v1/patients/{world.a['patient'].pk}/")
    admin = world.clients["admin_a"]
    user_id = AccessLogEntry.objects.get().user_id
    assert len(admin.get(f"/api/v1/access-log/?user={user_id}").json()["results"]) == 1
    assert admin.get(f"/api/v1/access-log/?user={user_id + 999}").json()["results"] == []
    assert admin.get("/api/v1/access-log/?since=2999-01-01T00:00:00Z").json()["results"] == []
    assert len(admin.get("/api/v1/access-log/?until=2999-01-01T00:00:00Z").json()["results"]) == 1
    patient = world.a["patient"].pk
    assert len(admin.get(f"/api/v1/access-log/?patient={patient}").json()["results"]) == 1
    assert admin.get("/api/v1/access-log/?since=yesterday").status_code == 400


def test_csv_download_content_and_roles(world):
    """The CSV holds the admin's patients only; clinicians get 403."""
    world.clients["researcher"].get("/api/v1/patients/")
    response = world.clients["admin_a"].get(reverse("api:access-log-csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("at,user_id,username,kind")
    assert len(lines) == 2
    assert "researcher@a.example.org" in lines[1]
    assert f",{world.a['patient'].pk}," in lines[1]
    assert str(world.b["patient"].pk) not in lines[1].split(",")[7].split()
    assert world.clients["clinician_a"].get(reverse("api:access-log-csv")).status_code == 403


def test_dicom_and_preview_downloads_are_logged(
    world, settings, tmp_path, django_capture_on_commit_callbacks
):
    """A DICOM file and a preview sent: one entry each, with the radiograph's patient."""
    from imaging.dicom import ingest
    from tests.imaging.dicom_factory import make_dx, to_bytes

    settings.MEDIA_ROOT = str(tmp_path)
    patient = world.a["patient"]
    with django_capture_on_commit_callbacks(execute=True):
        result = ingest.radiograph_ingest(
            to_bytes(make_dx()), center=world.a["center"], via="cli", patient=patient
        )
    client = world.clients["clinician_a"]
    file = client.get(f"/api/v1/radiographs/{result.radiograph_id}/dicom")
    preview = client.get(f"/api/v1/radiographs/{result.radiograph_id}/preview.png")
    assert file.status_code == preview.status_code == 200
    b"".join(file.streaming_content), b"".join(preview.streaming_content)
    for kind in (AccessKind.DICOM_DOWNLOAD, AccessKind.PREVIEW_DOWNLOAD):
        [entry] = entries(kind)
        assert entry.object_id == result.radiograph_id
        assert patients_of(entry) == {patient.pk}


def test_patient_filter_does_not_reveal_another_centers_patient(world):
    """Regression (review): ?patient=<center B's id> found the entry that listed it for admin A,
    telling them the id exists, who read it and when."""
    world.clients["researcher"].get("/api/v1/patients/")
    admin = world.clients["admin_a"]
    other = world.b["patient"].pk
    assert admin.get(f"/api/v1/access-log/?patient={other}").json()["results"] == []
    own = admin.get(f"/api/v1/access-log/?patient={world.a['patient'].pk}").json()["results"]
    assert len(own) == 1 and own[0]["patients"] == [world.a["patient"].pk]
