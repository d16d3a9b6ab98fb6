"""Two recomputations of one patient and a writer at the same time, on PostgreSQL (real row
locks, committed data): the writer never waits, the second recomputation waits for the first,
and the stored snapshot is the newest data's, never an older or mixed one."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from django.db import connection, connections

from imaging.models import CalcinosisLesion
from imaging.services import lesion_save
from progression import enqueue, services
from progression.models import ProgressionSnapshot, ProgressionState
from progression.result_json import series_json
from tests import factories

DEADLINE_SECONDS = 10


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def lock_waiters() -> int:
    """Backends of this database waiting for a row lock."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


class Runner(threading.Thread):
    """Runs ``target`` in a thread with its own database connection, keeping its result."""

    def __init__(self, name: str, target) -> None:
        super().__init__(name=name, daemon=True)
        self.target, self.result, self.error = target, None, None

    def run(self) -> None:
        try:
            self.result = self.target()
        except BaseException as error:  # reported by the test
            self.error = error
        finally:
            connection.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_recomputations_and_a_writer_store_the_newest_data(postgres, monkeypatch):
    patient = factories.make_patient()
    radiograph = factories.make_radiograph(patient, acquired_on=date(2022, 5, 2))
    lesion = factories.make_lesion(radiograph, longest_diameter_mm=5.0)
    services.progression_recompute(patient_id=patient.pk)
    # From here on nothing recomputes at commit: the threads below are the "workers".
    monkeypatch.setattr(enqueue, "request_after_commit", lambda patient_id: None)
    loaded, release = threading.Event(), threading.Event()
    original_load = services.load_inputs

    def load_and_pause(ids):
        inputs = original_load(ids)
        if threading.current_thread().name == "first":
            loaded.set()
            assert release.wait(DEADLINE_SECONDS)
        return inputs

    monkeypatch.setattr(services, "load_inputs", load_and_pause)
    first = Runner(
        "first", lambda: services.progression_recompute(patient_id=patient.pk, force=True)
    )
    first.start()
    assert loaded.wait(DEADLINE_SECONDS)  # the first holds the snapshot lock, data loaded

    def edit():
        changed = CalcinosisLesion.objects.get(pk=lesion.pk)
        changed.longest_diameter_mm = 9.0
        return lesion_save(lesion=changed)

    writer = Runner("writer", edit)
    writer.start()
    writer.join(DEADLINE_SECONDS)
    assert not writer.is_alive() and writer.error is None  # data entry did not wait
    second = Runner("second", lambda: services.progression_recompute(patient_id=patient.pk))
    second.start()
    wait_until(lambda: lock_waiters() >= 1, "the second recomputation to wait for the lock")
    release.set()
    for thread in (first, second):
        thread.join(DEADLINE_SECONDS)
        assert not thread.is_alive() and thread.error is None
    # The first loaded 5.0 mm, but the writer committed meanwhile: its result is dropped.
    assert (first.result, second.result) == ("superseded", "computed")
    snapshot = ProgressionSnapshot.objects.get(pk=patient.pk)
    state = ProgressionState.objects.get(pk=patient.pk)
    assert snapshot.data_version == state.data_version and state.dirty_since is None
    timepoint = series_json(snapshot.result)[0]["timepoints"][0]
    assert timepoint["sum_longest_diameter_mm"] == 9.0
