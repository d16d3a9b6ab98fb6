"""Progression on a real Celery worker (prefork subprocess), Redis and PostgreSQL, with drills:
the worker SIGKILLed in the middle of a cohort job, and the broker stopped during data entry.

Data is committed (``transaction=True``) so the worker, connected to pytest's test database,
sees it. This process publishes to the same broker. Locally these tests skip without PostgreSQL
or a Redis CELERY_BROKER_URL; in CI (REGISTRY_REQUIRE_SERVICES=1) they fail instead.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from datetime import date
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis
from django.db import connection

from benchmarks.progression_data import bulk_cohort
from imaging.models import CalcinosisLesion
from imaging.services import lesion_save
from patients.models import Patient
from progression.cohort_jobs import cohort_recompute_start
from progression.models import ProgressionSnapshot, ProgressionState, RecomputeJob
from progression.result_json import engine_track_ids, series_json, stored_result
from progression.services import progression_compute
from tests import factories
from tests.conftest import missing_service
from tests.integration.processes import CeleryWorker, PrivateRedis, free_port, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.real_broker,
    pytest.mark.django_db(transaction=True),
]

TEST_REDIS_DB = 14  # a database of the machine's Redis that only these tests use (flushed)
KILL_DRILL_PATIENTS = 2000
VISIBILITY_TIMEOUT = 15  # shared/RECIPES.md: a killed task comes back after ~16 s
SUCCEEDED = re.compile(r"Task progression\.tasks\.recompute_patient\[[^\]]+\] succeeded")


@pytest.fixture
def database_url(postgres) -> str:
    """pytest-django's test database, as a URL for the worker subprocess."""
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return (
        f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def main_redis() -> str:
    """The machine's Redis (CELERY_BROKER_URL's host), database 14, flushed before and after."""
    configured = os.environ.get("CELERY_BROKER_URL", "")
    if not configured.startswith("redis://"):
        missing_service("Redis broker (set CELERY_BROKER_URL=redis://...)")
    url = urlunsplit(urlsplit(configured)._replace(path=f"/{TEST_REDIS_DB}"))
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        missing_service(f"Redis at {configured}")
    client.flushdb()
    yield url
    client.flushdb()


@pytest.fixture
def workers(tmp_path):
    started: list[CeleryWorker] = []

    def start(database_url: str, broker_url: str, *, beat: bool = False, **settings: str):
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DATABASE_", "CELERY_", "REGISTRY_", "DJANGO_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="registry.settings.test",
            DATABASE_URL=database_url,
            DATABASE_CONN_MAX_AGE="0",
            CELERY_BROKER_URL=broker_url,
            CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
            REGISTRY_PROGRESSION_SWEEP_SECONDS="1",
            **settings,
        )
        worker = CeleryWorker(tmp_path, env, beat=beat)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def current_snapshot(patient: Patient) -> ProgressionSnapshot | None:
    """The patient's snapshot if it reflects the data as committed now, else None."""
    version = ProgressionState.objects.filter(pk=patient.pk).values_list("data_version", flat=True)
    snapshot = ProgressionSnapshot.objects.filter(pk=patient.pk, computed_at__isnull=False).first()
    if snapshot is None or snapshot.data_version != version.first():
        return None
    return snapshot


def left_hand(snapshot: ProgressionSnapshot) -> list[tuple[float, str]]:
    timepoints = series_json(snapshot.result)[0]["timepoints"]
    return [(tp["sum_longest_diameter_mm"], tp["status"]) for tp in timepoints]


def enter_thumb_case() -> tuple[Patient, list[CalcinosisLesion]]:
    """Through the services, one commit each: a left thumb deposit 15.0, 17.0, 19.5 mm a year
    apart (the teaching case's PA sizes): +2.0 is 13 % (stable), +4.5 >= 3.75 (progression)."""
    patient = factories.make_patient()
    lesions = []
    for year, diameter in ((2023, 15.0), (2024, 17.0), (2025, 19.5)):
        radiograph = factories.make_radiograph(patient, acquired_on=date(year, 3, 15))
        lesions.append(factories.make_lesion(radiograph, longest_diameter_mm=diameter))
    return patient, lesions


def test_data_entry_reaches_a_real_worker_and_a_burst_is_one_recomputation(
    database_url, main_redis, publish_to, workers
):
    publish_to(main_redis)
    patient, lesions = enter_thumb_case()
    # Seven commits while no worker runs: the first queued a recomputation, the others saw it
    # pending and queued nothing.
    assert redis.Redis.from_url(main_redis).llen("celery") == 1
    worker = workers(database_url, main_redis)
    snapshot = wait_for(
        lambda: current_snapshot(patient), timeout=30, what="the snapshot", log=worker
    )
    assert left_hand(snapshot) == [(15.0, "baseline"), (17.0, "stable"), (19.5, "progression")]
    assert snapshot.status == "progression"
    # The worker logs "succeeded" after the task has written the snapshot: wait for the line.
    succeeded = wait_for(
        lambda: SUCCEEDED.findall(worker.log_path.read_text()), timeout=10, what="the log line"
    )
    assert len(succeeded) == 1  # one computation in all
    # One edit: 19.5 -> 16.0 mm is +1.0 from 15.0: stable again.
    lesions[2].longest_diameter_mm = 16.0
    edited_at = time.monotonic()
    lesion_save(lesion=lesions[2])
    snapshot = wait_for(
        lambda: current_snapshot(patient), timeout=30, what="the update", log=worker
    )
    assert left_hand(snapshot)[2] == (16.0, "stable") and snapshot.status == "stable"
    # Within the debounce window of the first enqueue at most; a worker takes it at once.
    assert time.monotonic() - edited_at < 10


def test_a_worker_killed_mid_job_is_replaced_and_the_job_completes(
    database_url, main_redis, publish_to, workers
):
    publish_to(main_redis)
    bulk_cohort(KILL_DRILL_PATIENTS)
    # Heartbeats every 2 s: the task Redis hands back after its visibility timeout (15 s) finds
    # the killed run silent for more than three heartbeats and takes the job over.
    settings = {"REGISTRY_PROGRESSION_JOB_BATCH_SIZE": "10", "REGISTRY_JOB_HEARTBEAT_SECONDS": "2"}
    first = workers(database_url, main_redis, **settings)
    job = cohort_recompute_start()

    def progress() -> tuple[str, int]:
        return RecomputeJob.objects.filter(pk=job.pk).values_list("status", "done").get()

    wait_for(lambda: progress()[1] > 0, timeout=30, what="the job to start", log=first)
    first.kill()  # SIGKILL, the whole process group, in the middle of a batch
    status, done_when_killed = progress()
    assert status == "running" and 0 < done_when_killed < KILL_DRILL_PATIENTS
    # acks_late: the task is still unacknowledged in Redis. kombu 5.5 hands it out again once it
    # is older than the visibility timeout, when a worker starts (or on its ~100 s restore
    # cycle: there is no faster restore option in this version), so start the new worker then.
    unacked = redis.Redis.from_url(main_redis)
    assert unacked.zcard("unacked_index") >= 1
    wait_for(
        lambda: unacked.zrangebyscore("unacked_index", 0, time.time() - VISIBILITY_TIMEOUT - 1),
        timeout=VISIBILITY_TIMEOUT + 10,
        what="the killed task to pass the visibility timeout",
    )
    second = workers(database_url, main_redis, **settings)
    wait_for(
        lambda: progress()[0] == "succeeded",
        timeout=60,
        what="the job to resume from its cursor and complete",
        log=second,
    )
    job.refresh_from_db()
    assert (job.done, job.total, job.failures) == (KILL_DRILL_PATIENTS, KILL_DRILL_PATIENTS, 0)
    snapshots = ProgressionSnapshot.objects.filter(computed_at__gte=job.started_at)
    assert snapshots.count() == KILL_DRILL_PATIENTS
    # Correct, not merely present: a stored result equals a fresh in-process computation.
    sample = Patient.objects.order_by("pk")[KILL_DRILL_PATIENTS // 2]
    fresh = progression_compute(patient_id=sample.pk)
    stored = ProgressionSnapshot.objects.get(pk=sample.pk)
    assert stored.result == stored_result(fresh, engine_track_ids(fresh))
    assert all(current_snapshot(patient) for patient in Patient.objects.order_by("?")[:20])


def test_broker_down_during_data_entry_then_the_sweep_catches_up(
    database_url, publish_to, workers, tmp_path
):
    if shutil.which("redis-server") is None:
        missing_service("redis-server (a private broker the test can stop)")
    port = free_port()
    broker = PrivateRedis(tmp_path, port)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        publish_to(url)
        worker = workers(database_url, url, beat=True)  # beat: the sweep every second
        patient, lesions = enter_thumb_case()
        wait_for(lambda: current_snapshot(patient), timeout=30, what="the snapshot", log=worker)
        broker.stop()
        started = time.monotonic()
        lesions[2].longest_diameter_mm = 16.0
        lesion_save(lesion=lesions[2])  # data entry with the broker down: succeeds
        assert time.monotonic() - started < 5
        assert CalcinosisLesion.objects.get(pk=lesions[2].pk).longest_diameter_mm == 16.0
        state = ProgressionState.objects.get(pk=patient.pk)
        assert state.dirty_since is not None and not state.recompute_pending
        assert current_snapshot(patient) is None  # stale, and known to be
        broker = PrivateRedis(tmp_path, port)  # back, empty: the lost enqueue is not in it
        clean = ProgressionState.objects.filter(pk=patient.pk, dirty_since=None)
        snapshot = wait_for(  # the mark is cleared just after the snapshot's commit
            lambda: clean.exists() and current_snapshot(patient),
            timeout=90,
            what="the sweep to catch up",
            log=worker,
        )
        assert left_hand(snapshot)[2] == (16.0, "stable")
    finally:
        broker.stop()
