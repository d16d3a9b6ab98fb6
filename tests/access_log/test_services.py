"""Access-log services: erase one patient, the patient's own log, retention prune."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from access_log.models import AccessedPatient, AccessKind, AccessLogEntry
from access_log.services import (
    PendingEntry,
    access_log_erase_patient,
    access_log_of_patient,
    access_log_prune,
    access_log_write,
)
from patients.models import Patient
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def ids(center) -> list[int]:
    """Four patients' ids (the log keeps only patients that exist when it is written)."""
    return [factories.make_patient(center, local_id=f"LOG-{n}").pk for n in range(4)]


def write(*patient_sets, at=None) -> list[AccessLogEntry]:
    return access_log_write(
        entries=[
            PendingEntry(
                user_id=None,
                username="reader@example.org",
                kind=AccessKind.API_LIST,
                route="api:patient-list",
                address="10.0.0.7",
                patient_ids=ids,
                at=at or timezone.now(),
            )
            for ids in patient_sets
        ]
    )


def test_erase_deletes_lone_rows_and_removes_the_patient_from_shared_ones(ids):
    """A row about the patient alone goes; a shared row stays without the patient."""
    seven, eight = ids[:2]
    alone, shared, other = write([seven], [seven, eight], [eight])
    assert access_log_erase_patient(seven) == 2
    assert not AccessLogEntry.objects.filter(pk=alone.pk).exists()
    remaining = AccessedPatient.objects.filter(entry=shared).values_list("patient_id", flat=True)
    assert set(remaining) == {eight}
    assert AccessLogEntry.objects.filter(pk=other.pk).exists()
    assert not AccessedPatient.objects.filter(patient_id=seven).exists()
    assert access_log_erase_patient(seven) == 0


def test_a_read_written_after_the_patients_erasure_leaves_them_out(ids):
    """Regression (review): the log is written after the response; a patient erased (gone)
    by then is not written back into it."""
    gone, kept = ids[:2]
    Patient.objects.filter(pk=gone).delete()
    [entry] = write([gone, kept])
    assert set(entry.patients.values_list("patient_id", flat=True)) == {kept}


def test_of_patient_lists_who_when_what_where(ids):
    """The subject access report's part: every read of the patient, oldest first."""
    write([ids[0]], [ids[1]])
    [row] = access_log_of_patient(ids[0])
    assert row["user"] == "reader@example.org"
    assert row["kind"] == "api_list" and row["address"] == "10.0.0.7"
    assert row["at"]


def test_prune_removes_entries_past_retention(settings):
    """Entries older than REGISTRY_ACCESS_LOG_RETENTION_DAYS go with their patient rows."""
    settings.REGISTRY_ACCESS_LOG_RETENTION_DAYS = 30
    [old] = write([1], at=timezone.now() - timedelta(days=31))
    [recent] = write([1], at=timezone.now() - timedelta(days=29))
    assert access_log_prune() == 1
    assert list(AccessLogEntry.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not AccessedPatient.objects.filter(entry_id=old.pk).exists()


def test_prune_task_is_scheduled(settings):
    """Beat runs the prune task daily, and the task exists."""
    from access_log.tasks import prune_access_log

    entry = settings.CELERY_BEAT_SCHEDULE["access-log-prune"]
    assert entry["task"] == prune_access_log.name
    assert prune_access_log() == 0
