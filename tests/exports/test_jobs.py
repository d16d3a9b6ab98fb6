"""Export job states: legal moves only, progress, failures, the sweep, and the Celery task."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import user_add
from exports import services
from exports.jobs import ALLOWED_MOVES, IllegalJobMove, job_move, job_progress
from exports.models import ExportJob
from exports.tasks import expire_exports, run_export
from tests import factories

pytestmark = pytest.mark.django_db
Status = ExportJob.Status


@pytest.fixture
def researcher(cohort):
    return user_add(email="res@north.example", center=cohort.north, role="researcher")


def make_job(user, **fields) -> ExportJob:
    return factories.make_export_job(user, **fields)


def test_every_status_has_its_moves():
    assert set(ALLOWED_MOVES) == set(Status.values)
    assert ALLOWED_MOVES[Status.EXPIRED] == set()


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.PENDING, Status.SUCCEEDED),
        (Status.PENDING, Status.EXPIRED),
        (Status.SUCCEEDED, Status.RUNNING),
        (Status.FAILED, Status.RUNNING),
        (Status.EXPIRED, Status.SUCCEEDED),
        (Status.EXPIRED, Status.RUNNING),
    ],
)
def test_illegal_moves_are_refused(researcher, start, target):
    job = make_job(researcher, status=start, file="x.zip" if start == "succeeded" else "",
                   expires_at=timezone.now() if start == "succeeded" else None)
    with pytest.raises(IllegalJobMove):
        job_move(job.pk, target)
    job.refresh_from_db()
    assert job.status == start


def test_progress_is_written_only_while_running(researcher):
    job = make_job(researcher)
    job_progress(job.pk, done=5, total=10)
    assert ExportJob.objects.get(pk=job.pk).done == 0
    job_move(job.pk, Status.RUNNING)
    job_progress(job.pk, done=5, total=10)
    job.refresh_from_db()
    assert (job.done, job.total, job.started_at is not None) == (5, 10, True)


def test_task_runs_the_job_to_success(researcher):
    job = services.export_request(user=researcher, level="lesions", format="parquet")
    run_export.delay(job.pk)
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    assert job.row_counts == {"lesions.parquet": 4} and len(job.checksum) == 64
    assert job.expires_at > timezone.now() + timedelta(hours=1)
    run_export.delay(job.pk)  # a redelivered task leaves a finished job alone
    assert ExportJob.objects.get(pk=job.pk).checksum == job.checksum


def test_a_refused_export_fails_the_job_with_its_reason(researcher, settings):
    job = services.export_request(user=researcher, level="lesions", format="xlsx")
    settings.REGISTRY_EXPORT_XLSX_MAX_ROWS = 1  # the data grew after the request
    run_export.delay(job.pk)
    job.refresh_from_db()
    assert job.status == Status.FAILED and "XLSX is for small cohorts" in job.error
    assert job.file.name == ""


def test_sweep_expires_due_jobs(researcher):
    done = services.export_request(user=researcher, level="patients", format="csv")
    run_export.delay(done.pk)
    ExportJob.objects.filter(pk=done.pk).update(expires_at=timezone.now())
    assert expire_exports.delay().get() == {"expired": 1}
    assert ExportJob.objects.get(pk=done.pk).status == Status.EXPIRED


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx", "sav", "dta", "fhir_ndjson"])
def test_progress_written_at_every_row_never_blocks_the_export(researcher, settings, fmt):
    """Progress goes through Django's connection; inside a transaction (as here) the export
    shares it, and must not write progress while a COPY holds it."""
    settings.REGISTRY_EXPORT_PROGRESS_ROWS = 1
    job = services.export_request(user=researcher, level="lesions", format=fmt,
                                  date_mode="keep")
    run_export.delay(job.pk)
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED, job.error
    assert job.done == job.total == sum(job.row_counts.values())


def test_a_duplicate_task_of_an_export_whose_run_is_alive_does_nothing(researcher):
    """Regression: a second task (the sweep's duplicate) of a running export that beats neither
    repeats the export nor resets its progress; once the run is silent, it takes over."""
    job = make_job(researcher)
    job_move(job.pk, Status.RUNNING)
    job_progress(job.pk, done=7, total=10)
    run_export.delay(job.pk)
    job.refresh_from_db()
    assert (job.status, job.done, job.file.name) == (Status.RUNNING, 7, "")
    long_ago = timezone.now() - timedelta(hours=1)
    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=long_ago)
    run_export.delay(job.pk)
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED


def test_a_transient_error_hands_the_export_back_for_the_retry(researcher, monkeypatch):
    """A database error mid-export leaves the job pending, so the task's retry can take it."""
    from django.db import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("connection lost")

    monkeypatch.setattr(services, "export_to_zip", broken)
    job = make_job(researcher)
    with pytest.raises(OperationalError):
        services.export_run(job_id=job.pk)
    assert ExportJob.objects.get(pk=job.pk).status == Status.PENDING
