"""Exports in the access log: the production (count + checksum) and each download."""

import pytest

from access_log.models import AccessKind, AccessLogEntry
from accounts.services import user_add
from tests.api.conftest import client_for
from tests.exports.test_api import download, request_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def north_clinician(cohort):
    return client_for(user_add(email="doc@north.example", center=cohort.north, role="clinician"))


def test_export_production_and_download_are_logged(
    north_clinician,
    django_capture_on_commit_callbacks,
):
    """One entry when the file is produced (patients counted, checksum), one per download."""
    job = request_export(
        north_clinician, django_capture_on_commit_callbacks, level="patients", format="csv"
    ).json()
    [produced] = AccessLogEntry.objects.filter(kind=AccessKind.EXPORT_PRODUCED)
    assert produced.username == "doc@north.example" and produced.object_id == job["id"]
    assert produced.patient_count == 2
    assert len(produced.checksum) == 64 and not produced.patients.exists()
    download(north_clinician, job["id"])
    download(north_clinician, job["id"])
    downloads = AccessLogEntry.objects.filter(kind=AccessKind.EXPORT_DOWNLOAD)
    assert downloads.count() == 2
    assert {entry.checksum for entry in downloads} == {produced.checksum}
