"""Every instant the API writes is UTC ending in ``Z`` (issue #16: ``computed_at`` mixed +01:00
and +00:00), whatever TIME_ZONE the pages use."""

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from access_log.report import access_log_csv
from access_log.visibility import visible_entries
from progression.cohort_jobs import cohort_recompute_start
from registry.timestamps import utc_iso
from tests import factories
from tests.api.role_matrix import schema

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("paris")]

INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
REQUIRED_QUERY = {"/api/v1/exports/dictionary/": {"level": "patients"}}
NOT_JSON = (".svg", ".png", "/csv/", "/download/", "/dicom", "/pdf/")


@pytest.fixture
def paris():
    """The pages' zone is an hour off UTC in winter: an instant written in it would show."""
    with override_settings(TIME_ZONE="Europe/Paris"):
        yield


def instants(data, where: str = "") -> list[tuple[str, str]]:
    """(path, value) of every string in ``data`` that reads as a date and time."""
    if isinstance(data, dict):
        return [found for key, value in data.items() for found in instants(value, f"{where}.{key}")]
    if isinstance(data, list):
        return [found for value in data for found in instants(value, f"{where}[]")]
    if isinstance(data, str) and INSTANT.match(data):
        return [(where, data)]
    return []


def test_utc_iso():
    """Hand-worked: 18:44:09 at +01:00 is 17:44:09Z; microseconds kept; naive refused."""
    paris_winter = timezone(timedelta(hours=1))
    assert utc_iso(datetime(2026, 12, 7, 18, 44, 9, tzinfo=paris_winter)) == "2026-12-07T17:44:09Z"
    assert utc_iso(datetime(2026, 7, 1, 0, 0, 0, 5, tzinfo=UTC)) == "2026-07-01T00:00:00.000005Z"
    with pytest.raises(ValueError):
        utc_iso(datetime(2026, 12, 7, 18, 44))


def test_every_list_endpoint_writes_utc_with_z(world):
    """Every JSON list of the schema, read by a superuser over the role walk's records and a job
    of each kind: each date-time value ends in Z."""
    superuser = world.clients["superuser"]
    user = get_user_model().objects.get(username="root")
    factories.make_export_job(user)
    cohort_recompute_start(rules=None, user=user)
    superuser.get(f"/api/v1/patients/{world.a['patient'].pk}/")  # an access log entry
    names = {"patient_pk": world.a["patient"].pk, "radiograph_pk": world.a["radiograph"].pk}
    found = {}
    for path, item in schema()["paths"].items():
        if "get" not in item or path.endswith(NOT_JSON) or "{id}" in path:
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: str(names[m.group(1)]), path)
        response = superuser.get(url, REQUIRED_QUERY.get(path))
        assert response.status_code == 200, (url, response.content[:300])
        for where, value in instants(response.json()):
            found[f"{url} {where}"] = value
    wrong = {where: value for where, value in found.items() if not UTC_Z.match(value)}
    assert wrong == {}
    seen = {where.split(" ")[0] for where in found}
    # Not vacuous: the lists that hold instants were read with rows in them.
    for url in (
        "/api/v1/patients/",
        "/api/v1/tasks/",
        "/api/v1/exports/",
        "/api/v1/access-log/",
        "/api/v1/sign-in-events/",
        "/api/v1/lesions/",
    ):
        assert url in seen, url


def test_progression_computed_at_stored_and_fresh(api, patient):
    """``computed_at`` of a snapshot computed on first read, of the stored one read again, and
    of a result computed for rule overrides: the same instant form."""
    radiograph = factories.make_radiograph(patient)
    factories.make_lesion(radiograph, longest_diameter_mm=6.0)
    url = f"/api/v1/patients/{patient.pk}/progression/"
    first = api.get(url).json()["computed_at"]
    stored = api.get(url).json()["computed_at"]
    fresh = api.get(url, {"progression_fraction": 0.3}).json()["computed_at"]
    assert all(UTC_Z.match(value) for value in (first, stored, fresh)), (first, stored, fresh)
    assert stored == first  # the stored snapshot, read back in the same form


def test_history_changes_write_instants_in_utc(api, patient):
    """A changed date-time field in the audit trail's changes is an instant like the others."""
    radiograph = factories.make_radiograph(patient)
    response = api.get(f"/api/v1/radiographs/{radiograph.pk}/history/")
    assert response.status_code == 200
    wrong = [value for _, value in instants(response.json()) if not UTC_Z.match(value)]
    assert wrong == []


def test_access_log_csv_and_export_manifest_in_utc(world, django_capture_on_commit_callbacks):
    """The access log's CSV and an export's manifest write instants as the API does."""
    superuser = world.clients["superuser"]
    superuser.get(f"/api/v1/patients/{world.a['patient'].pk}/")
    user = get_user_model().objects.get(username="root")
    rows = list(csv.reader(io.StringIO("".join(access_log_csv(visible_entries(user))))))
    assert len(rows) > 1 and all(UTC_Z.match(row[0]) for row in rows[1:]), rows[:3]
    with django_capture_on_commit_callbacks(execute=True):
        created = superuser.post(
            "/api/v1/exports/", {"level": "patients", "format": "csv"}, format="json"
        )
    assert created.status_code == 202, created.json()
    download = superuser.get(f"/api/v1/exports/{created.json()['id']}/download/")
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as package:
        manifest = json.loads(package.read("manifest.json"))
    assert UTC_Z.match(manifest["created_at"]), manifest["created_at"]


def test_today_in_the_api_is_the_registrys_today_not_utcs(api, patient):
    """Regression (review of issue #16): switching API requests to UTC made 00:30 in Paris the
    day before, so a visit dated today was refused as "in the future" until 01:00."""
    half_past_midnight_in_paris = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=half_past_midnight_in_paris):
        response = api.post(
            "/api/v1/visits/", {"patient": patient.pk, "date": "2026-12-08"}, format="json"
        )
    assert response.status_code == 201, response.json()
    assert UTC_Z.match(response.json()["created_at"]), response.json()["created_at"]
