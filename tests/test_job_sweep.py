"""The one job base model and the stale-job sweep (issue #21, part 2): heartbeats, running jobs
whose worker stopped taken back or failed, lost pending jobs queued again, dead scratch folders
removed, for every job kind."""

from __future__ import annotations

import tempfile
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.services import user_add
from exports.models import ExportJob
from progression.models import RecomputeJob
from registry.job_sweep import STOPPED, job_kinds, jobs_sweep, silent_since
from registry.jobs import IllegalJobMove, Job, heartbeat
from registry.tasks import sweep_stale_jobs
from tests import factories
from tests.integration.processes import wait_for

pytestmark = pytest.mark.django_db
Status = Job.Status


@pytest.fixture(autouse=True)
def scratch_root(tmp_path, monkeypatch) -> Path:
    """A temporary directory of our own: the sweep never sees another test's live folders."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


@pytest.fixture
def user(center):
    return user_add(email="doc@north.example", center=center, role="clinician")


def export_job(user, **fields) -> ExportJob:
    return factories.make_export_job(user, **fields)


def silent(job: Job, seconds: float = 3600) -> None:
    """Make ``job`` look as if its task stopped ``seconds`` ago."""
    long_ago = timezone.now() - timedelta(seconds=seconds)
    type(job).objects.filter(pk=job.pk).update(heartbeat_at=long_ago, created_at=long_ago)


def test_every_job_kind_inherits_the_one_job_model():
    """Exports and cohort recomputations share the base model, and each says how it runs."""
    assert set(job_kinds()) == {ExportJob, RecomputeJob}
    for kind in job_kinds():
        assert {"status", "done", "total", "attempts", "heartbeat_at", "error"} <= {
            field.name for field in kind._meta.get_fields()
        }
        assert kind.task and kind.fail


def test_finding21_2_a_running_export_whose_worker_stopped_is_run_again(
    user, center, scratch_root
):
    """A running export silent past the bound goes back to pending, runs again (in-process
    here), succeeds; the dead run's scratch folder is removed first."""
    factories.make_patient(center)
    job = export_job(user)
    ExportJob.move(job.pk, Status.RUNNING)
    dead = Path(tempfile.mkdtemp(prefix=f"{ExportJob.scratch_stem()}{job.pk}-"))
    (dead / "export.zip").write_bytes(b"half a zip")
    silent(job)
    assert jobs_sweep() == {"requeued": 1, "failed": 0, "scratch_removed": 0}
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == ("succeeded", 1, "")
    assert not dead.exists() and list(scratch_root.iterdir()) == []


def test_finding21_2_a_job_whose_worker_stopped_too_often_fails_with_the_reason(
    user, settings
):
    """After REGISTRY_JOB_MAX_ATTEMPTS stops the job fails, saying why, and is not run again."""
    settings.REGISTRY_JOB_MAX_ATTEMPTS = 3
    job = export_job(user, attempts=2)
    ExportJob.move(job.pk, Status.RUNNING)
    silent(job)
    assert sweep_stale_jobs.delay().get()["failed"] == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("failed", 2)
    assert job.error == STOPPED.format(attempts=3) and job.finished_at is not None


def test_finding21_2_a_failed_part_settles_its_cohort_job():
    """A part whose worker stopped for the last time fails, and its job with it (the kind's
    own failing service runs after the sweep's move)."""
    job = RecomputeJob.objects.create(total=4)
    part = RecomputeJob.objects.create(parent=job, total=4, attempts=2)
    for row in (job, part):
        RecomputeJob.move(row.pk, Status.RUNNING)
        silent(row)
    assert jobs_sweep()["failed"] == 1  # the part; the job has no task of its own
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", STOPPED.format(attempts=3))


def test_a_job_that_beats_is_left_alone_with_its_scratch_folder(user):
    """Within the bound nothing moves; a running job's folder is kept, a finished one's and an
    unknown job's are removed, another database's are left alone."""
    live = export_job(user)
    ExportJob.move(live.pk, Status.RUNNING)
    finished = export_job(user, status=Status.FAILED, finished_at=timezone.now())
    folders = {
        name: Path(tempfile.mkdtemp(prefix=f"{ExportJob.scratch_stem()}{pk}-"))
        for name, pk in (("live", live.pk), ("finished", finished.pk), ("unknown", 987654))
    }
    # Another database's job (a second deployment sharing the directory): never touched.
    foreign = Path(tempfile.mkdtemp(prefix=f"{ExportJob.scratch_prefix}0123abcd-{finished.pk}-"))
    assert jobs_sweep() == {"requeued": 0, "failed": 0, "scratch_removed": 2}
    assert {name for name, path in folders.items() if path.exists()} == {"live"}
    assert foreign.exists()
    live.refresh_from_db()
    assert (live.status, live.attempts) == ("running", 0)


def test_a_beat_since_the_sweep_read_the_job_refuses_taking_it_back(user):
    """The move back to pending is conditional on the silence: a job alive after all stays."""
    job = export_job(user)
    ExportJob.move(job.pk, Status.RUNNING)  # heartbeat now
    bound = timezone.now() - timedelta(seconds=60)
    with pytest.raises(IllegalJobMove):
        ExportJob.move(job.pk, Status.PENDING, where=silent_since(bound))
    assert ExportJob.objects.get(pk=job.pk).status == "running"


def test_a_lost_pending_job_is_queued_again_once_per_bound(user, monkeypatch):
    """A pending job as old as the bound lost its message: queued again (not counted as an
    attempt), and not again before another bound has passed."""
    from registry import job_sweep

    sent = []
    monkeypatch.setattr(job_sweep, "enqueue", lambda task, args: sent.append(args) or True)
    job = export_job(user)
    silent(job)
    assert jobs_sweep()["requeued"] == 1
    assert jobs_sweep()["requeued"] == 0
    assert sent == [(job.pk,)]
    assert ExportJob.objects.get(pk=job.pk).attempts == 0


@pytest.mark.django_db(transaction=True)
def test_heartbeat_is_written_while_the_task_runs_and_stops_with_it(user):
    """The heartbeat thread writes ``heartbeat_at`` of the running job on its own connection,
    and stops when the block ends."""
    job = export_job(user)
    ExportJob.move(job.pk, Status.RUNNING)
    silent(job)

    def beat() -> object:
        return ExportJob.objects.filter(
            pk=job.pk, heartbeat_at__gt=timezone.now() - timedelta(seconds=5)
        ).exists()

    with heartbeat(ExportJob, job.pk, every=0.05):
        wait_for(beat, timeout=10, what="a heartbeat")
    assert not [t for t in threading.enumerate() if t.name == f"heartbeat-{job.pk}"]


def test_a_cohort_part_requeued_by_the_sweep_resumes_from_its_cursor(center):
    """A stale part is taken back and runs again in-process from its cursor."""
    patients = [factories.make_patient(center) for _ in range(3)]
    job = RecomputeJob.objects.create(total=3, scope_last_patient_id=patients[-1].pk)
    RecomputeJob.move(job.pk, Status.RUNNING)
    RecomputeJob.objects.filter(pk=job.pk).update(cursor=patients[0].pk, done=1)
    silent(job)
    assert jobs_sweep()["requeued"] == 1
    job.refresh_from_db()
    assert (job.status, job.done, job.attempts) == ("succeeded", 3, 1)
