"""Drill of issue #21, part 2: a real worker SIGKILLed in the middle of an export, its broker
message lost as well (a Redis restart without persistence), a new worker with beat started:
the stale-job sweep takes the job back and it succeeds within the bound, and the killed run's
scratch folder is removed.

Data is committed (``transaction=True``) so the workers, connected to pytest's test database,
see it. The workers' temporary directory is the test's own, so the sweep never meets another
process's scratch folders. Locally this skips without PostgreSQL or a Redis CELERY_BROKER_URL;
in CI (REGISTRY_REQUIRE_SERVICES=1) it fails instead.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection

from accounts.models import Center
from accounts.services import user_add
from benchmarks.progression_data import bulk_cohort
from exports.models import ExportJob
from exports.services import export_request
from tests.conftest import missing_service
from tests.integration.processes import CeleryWorker, service_env, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.real_broker,
    pytest.mark.django_db(transaction=True),
]

# 1,000 patients, 24,000 lesions as XLSX: an export of about 6 s on this machine's 2 cores,
# long enough to be killed in the middle.
PATIENTS = 1000
STALE_AFTER = 3  # seconds of silence before the sweep takes a job back
JOB_SETTINGS = {
    "REGISTRY_JOB_HEARTBEAT_SECONDS": "0.5",
    "REGISTRY_JOB_STALE_AFTER_SECONDS": str(STALE_AFTER),
    "REGISTRY_JOB_SWEEP_SECONDS": "1",
    "REGISTRY_PROGRESSION_SWEEP_SECONDS": "3600",  # no recomputation competes for the worker
}


@pytest.fixture
def broker() -> str:
    """The configured Redis broker database, flushed before and after."""
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        missing_service("Redis broker (set CELERY_BROKER_URL=redis://...)")
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        missing_service(f"Redis at {url}")
    client.flushdb()
    yield url
    client.flushdb()


@pytest.fixture
def worker_env(postgres, broker, tmp_path) -> dict[str, str]:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    database = (
        f"postgres://{quote(db['USER'] or '')}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    return service_env(
        DATABASE_URL=database,
        DATABASE_CONN_MAX_AGE="0",
        CELERY_BROKER_URL=broker,
        TMPDIR=str(scratch),
        **JOB_SETTINGS,
    )


@pytest.fixture
def workers(tmp_path):
    started: list[CeleryWorker] = []

    def start(env: dict[str, str], *, beat: bool = False) -> CeleryWorker:
        worker = CeleryWorker(tmp_path, env, beat=beat)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def scratch_folders(env: dict[str, str], job: ExportJob) -> list[Path]:
    return sorted(Path(env["TMPDIR"]).glob(f"{ExportJob.scratch_stem()}{job.pk}-*"))


def test_finding21_2_export_killed_with_its_broker_message_ends_within_the_bound(
    broker, worker_env, publish_to, workers
):
    """SIGKILL mid-export and the unacked message deleted: a new worker with beat takes the
    job back within REGISTRY_JOB_STALE_AFTER_SECONDS (plus a sweep period) and finishes it."""
    publish_to(broker)
    bulk_cohort(PATIENTS)
    user = user_add(
        email="doc@bench.example", center=Center.objects.get(code="bench"), role="clinician"
    )
    first = workers(worker_env)
    job = export_request(user=user, level="lesions", format="xlsx", date_mode="keep")

    def state() -> tuple[str, int, str]:
        return ExportJob.objects.filter(pk=job.pk).values_list("status", "attempts", "error").get()

    wait_for(
        lambda: state()[0] == "running" and scratch_folders(worker_env, job),
        timeout=30, what="the export to start", log=first,
    )
    first.kill()  # SIGKILL, the whole process group, in the middle of the export
    killed_at = time.monotonic()
    assert state()[0] == "running"
    killed_folders = scratch_folders(worker_env, job)
    assert killed_folders
    # The broker lost the message too: without the sweep the job would stay running for good.
    client = redis.Redis.from_url(broker)
    assert client.hlen("unacked") == 1
    client.delete("unacked", "unacked_index")

    second = workers(worker_env, beat=True)
    wait_for(lambda: state()[0] == "succeeded", timeout=45, what="the job to end", log=second)
    elapsed = time.monotonic() - killed_at
    print(f"kill -> succeeded: {elapsed:.1f} s")  # the drill's measured figure (-s)
    assert state() == ("succeeded", 1, "")
    assert not any(folder.exists() for folder in killed_folders)
    wait_for(lambda: not scratch_folders(worker_env, job), timeout=5, what="no scratch left")
    job.refresh_from_db()
    assert job.row_counts == {"lesions.xlsx": PATIENTS * 6 * 4}
    # The bound: the silence, a sweep period, a worker's start and one export run.
    assert elapsed < STALE_AFTER + 1 + 40
