"""Cohort recomputation jobs: batches, progress, resuming, status moves, and the command."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from patients.models import Patient
from progression.cohort_jobs import (
    cohort_recompute_fail,
    cohort_recompute_run,
    cohort_recompute_start,
)
from progression.jobs import ILLEGAL_MOVE, IllegalJobMove, job_advance, job_move
from progression.models import ProgressionSnapshot, RecomputeJob
from progression.services import progression_detail
from progression.tasks import run_cohort_recompute
from registry.job_sweep import jobs_sweep
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_patients(commit) -> list[Patient]:
    patients = []
    for number in range(5):
        patient = commit(factories.make_patient)
        radiograph = commit(factories.make_radiograph, patient, acquired_on=date(2022, 1, 10))
        commit(factories.make_lesion, radiograph, longest_diameter_mm=3.0 + number)
        patients.append(patient)
    return patients


def test_job_runs_in_batches_within_its_time_budget_and_resumes(five_patients, settings):
    settings.REGISTRY_PROGRESSION_JOB_BATCH_SIZE = 2
    job = cohort_recompute_start(enqueue_job=False)
    assert (job.status, job.done, job.total) == ("pending", 0, 5)
    # A zero budget stops after the first batch: 2 of 5 done, the cursor on the 2nd patient,
    # the job pending for its next slice.
    assert cohort_recompute_run(job_id=job.pk, time_budget_s=0) is False
    job.refresh_from_db()
    assert (job.status, job.done, job.cursor) == ("pending", 2, five_patients[1].pk)
    progress = []
    assert cohort_recompute_run(job_id=job.pk, on_progress=lambda d, t: progress.append(d)) is True
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.failures) == ("succeeded", 5, 5, 0)
    assert progress == [4, 5]
    assert job.started_at <= job.finished_at
    assert cohort_recompute_run(job_id=job.pk) is True  # a redelivered task: nothing to do


def test_job_rules_are_stored_and_read_as_stale_against_the_registry_rules(five_patients):
    job = cohort_recompute_start(rules={"progression_fraction": "0.1"}, enqueue_job=False)
    cohort_recompute_run(job_id=job.pk)
    rules = set(ProgressionSnapshot.objects.values_list("rules__progression_fraction", flat=True))
    assert rules == {0.1}
    assert progression_detail(patient_id=five_patients[0].pk)["stale"] is True


def test_start_queues_the_job_after_commit_and_it_runs_in_process_without_broker(
    five_patients, commit, computations
):
    job = commit(cohort_recompute_start)
    job.refresh_from_db()
    assert (job.status, job.done) == ("succeeded", 5)
    assert len(computations) == 5  # a cohort job recomputes even current snapshots


def test_a_second_run_of_the_same_batch_is_not_counted_twice(five_patients):
    job = cohort_recompute_start(enqueue_job=False)
    job_move(job.pk, "running")
    assert job_advance(job.pk, cursor=0, to_cursor=five_patients[1].pk, done=2, failures=0)
    # A redelivered task that read cursor 0 before: its advance is refused, it stops.
    assert not job_advance(job.pk, cursor=0, to_cursor=five_patients[1].pk, done=2, failures=0)
    job.refresh_from_db()
    assert (job.done, job.cursor) == (2, five_patients[1].pk)


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("pending", "succeeded"),
        ("succeeded", "running"),
        ("failed", "running"),
        ("failed", "failed"),
    ],
)
def test_illegal_moves_are_refused(start, target):
    job = RecomputeJob.objects.create(
        status=start, finished_at=timezone.now() if start in ("succeeded", "failed") else None
    )
    with pytest.raises(IllegalJobMove) as refused:
        job_move(job.pk, target)
    assert str(refused.value) == ILLEGAL_MOVE.format(
        kind="recompute job", job=job.pk, current=start, target=target
    )
    job.refresh_from_db()
    assert job.status == start


def test_an_unexpected_error_marks_the_job_failed(five_patients, monkeypatch):
    from progression import cohort_jobs

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(cohort_jobs, "progression_recompute_many", broken)
    job = cohort_recompute_start(enqueue_job=False)
    with pytest.raises(RuntimeError):
        run_cohort_recompute.apply(args=(job.pk,))
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "RuntimeError: disk full")
    assert job.finished_at is not None


def test_the_sweep_resumes_a_job_whose_task_was_lost(five_patients):
    job = cohort_recompute_start(enqueue_job=False)  # never queued: the broker lost it
    RecomputeJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert jobs_sweep()["requeued"] == 1
    job.refresh_from_db()
    assert (job.status, job.done) == ("succeeded", 5)


def test_a_job_in_parts_shares_the_patients_and_settles_when_the_last_part_ends(
    five_patients, commit, settings
):
    """5 patients, batches of 2, 2 parts: the first takes 5 * 1 // 2 = 2 patients, the second
    the other 3; each patient is recomputed once, and the job counts all 5."""
    settings.REGISTRY_PROGRESSION_JOB_BATCH_SIZE = 2
    job = commit(cohort_recompute_start, rules={"progression_fraction": 0.3}, parts=2)
    parts = list(job.parts.order_by("pk"))  # run in-process at commit, part after part
    assert [(part.scope_last_patient_id, part.done, part.total) for part in parts] == [
        (five_patients[1].pk, 2, 2),
        (five_patients[4].pk, 3, 3),
    ]
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.failures) == ("succeeded", 5, 5, 0)
    assert [part.status for part in job.parts.all()] == ["succeeded", "succeeded"]
    stored = ProgressionSnapshot.objects.filter(rules__progression_fraction=0.3)
    assert stored.count() == 5


def test_a_failed_part_fails_its_job_once_every_part_has_ended(five_patients, settings):
    settings.REGISTRY_PROGRESSION_JOB_BATCH_SIZE = 2
    job = cohort_recompute_start(enqueue_job=True, parts=2)  # not committed: nothing ran
    first, second = job.parts.order_by("pk")
    assert (first.cursor, second.cursor) == (0, five_patients[1].pk)
    cohort_recompute_run(job_id=second.pk)
    cohort_recompute_fail(job_id=first.pk, error="RuntimeError: disk full")
    job.refresh_from_db()
    assert (job.status, job.error, job.done) == ("failed", "RuntimeError: disk full", 3)


def test_a_part_still_running_keeps_its_job_running(five_patients, settings):
    settings.REGISTRY_PROGRESSION_JOB_BATCH_SIZE = 2
    job = cohort_recompute_start(enqueue_job=True, parts=2)
    first, second = job.parts.order_by("pk")
    assert cohort_recompute_run(job_id=first.pk) is True  # its 2 patients, then its end
    assert cohort_recompute_run(job_id=second.pk, time_budget_s=0) is False  # 2 of 3
    job.refresh_from_db()
    assert (job.status, job.done) == ("running", 4)
    # The second part's worker stopped mid-slice: the sweep resumes the part, not the job (it
    # has no task).
    RecomputeJob.objects.filter(pk=second.pk).update(status="running")
    RecomputeJob.objects.filter(pk__in=[job.pk, second.pk]).update(heartbeat_at=None)
    RecomputeJob.objects.update(created_at=timezone.now() - timedelta(hours=1))
    assert jobs_sweep()["requeued"] == 1
    second.refresh_from_db()
    assert second.attempts == 1
    job.refresh_from_db()
    assert (job.status, job.done) == ("succeeded", 5)


def test_a_part_waiting_for_its_next_slice_past_the_stale_bound_is_not_taken_back(
    five_patients, settings, monkeypatch
):
    """Regression: a part handing over to its next slice is pending, not silent; a wait in the
    queue longer than the bound costs no attempt and does not fail the job."""
    from registry import job_sweep

    monkeypatch.setattr(job_sweep, "enqueue", lambda task, args: True)  # queued, not started
    settings.REGISTRY_PROGRESSION_JOB_BATCH_SIZE = 2
    settings.REGISTRY_JOB_MAX_ATTEMPTS = 3
    job = cohort_recompute_start(enqueue_job=True, parts=2)
    first, second = job.parts.order_by("pk")
    assert cohort_recompute_run(job_id=second.pk, time_budget_s=0) is False  # 2 of 3
    long_ago = timezone.now() - timedelta(hours=1)
    for _ in range(4):  # more sweeps than attempts, each after a wait past the bound
        RecomputeJob.objects.update(heartbeat_at=long_ago, created_at=long_ago)
        assert jobs_sweep()["failed"] == 0
    second.refresh_from_db()
    assert (second.status, second.attempts) == ("pending", 0)
    assert cohort_recompute_run(job_id=second.pk) is True  # the queued slice starts at last
    assert cohort_recompute_run(job_id=first.pk) is True
    job.refresh_from_db()
    assert (job.status, job.done) == ("succeeded", 5)


def test_a_retried_part_that_had_ended_settles_its_job(five_patients, settings):
    """Regression: a run stopped between a part's end and the settling of its job; the retry
    finds the part over and settles the job instead of leaving it running forever."""
    from progression.jobs import Status

    settings.REGISTRY_PROGRESSION_JOB_BATCH_SIZE = 2
    job = cohort_recompute_start(enqueue_job=True, parts=2)
    first, second = job.parts.order_by("pk")
    assert cohort_recompute_run(job_id=first.pk) is True
    cohort_recompute_run(job_id=second.pk, time_budget_s=0)
    job_move(second.pk, Status.RUNNING)
    # The last batch is advanced and the part marked succeeded, then the run dies.
    RecomputeJob.objects.filter(pk=second.pk).update(cursor=five_patients[4].pk, done=3)
    RecomputeJob.objects.filter(pk=job.pk).update(done=5)
    job_move(second.pk, Status.SUCCEEDED)
    job.refresh_from_db()
    assert job.status == "running"
    assert cohort_recompute_run(job_id=second.pk) is True  # the retry
    job.refresh_from_db()
    assert (job.status, job.done) == ("succeeded", 5)
    assert cohort_recompute_run(job_id=second.pk) is True  # and again: nothing changes
    job.refresh_from_db()
    assert job.status == "succeeded"


def test_a_duplicate_task_of_a_part_whose_run_is_alive_does_nothing(five_patients, settings):
    """A second task of a running part that beats is refused; once silent, it takes over."""
    settings.REGISTRY_PROGRESSION_JOB_BATCH_SIZE = 2
    job = cohort_recompute_start(enqueue_job=False)
    job_move(job.pk, "running")  # a live run holds it (heartbeat now)
    assert cohort_recompute_run(job_id=job.pk) is True
    job.refresh_from_db()
    assert (job.status, job.done) == ("running", 0)
    RecomputeJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert cohort_recompute_run(job_id=job.pk) is True
    job.refresh_from_db()
    assert (job.status, job.done) == ("succeeded", 5)


def test_a_small_cohort_is_not_split(five_patients, settings):
    settings.REGISTRY_PROGRESSION_JOB_BATCH_SIZE = 1000  # 5 patients: one batch, one task
    job = cohort_recompute_start(enqueue_job=True, parts=4)
    assert not job.parts.exists()


# --- manage.py recompute_progression ----------------------------------------------------------


def run_command(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("recompute_progression", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_recomputes_the_cohort_with_a_progress_bar(five_patients):
    out, err = run_command("--sync", "--rules", "progression_fraction=0.3")
    job = RecomputeJob.objects.get()
    assert f"Job {job.pk} succeeded: 5/5 patients recomputed (0 refused by the engine)" in out
    assert "'progression_fraction': 0.3" in out
    assert "5/5 patients" in err and "[##############################]" in err


def test_command_recomputes_one_patient_by_registry_id(teaching_case):
    out, _ = run_command("--patient", teaching_case.registry_id)
    assert out.startswith(f"Patient {teaching_case.pk}: computed, status progression")


def test_command_refuses_bad_rules_and_unknown_patients(teaching_case):
    with pytest.raises(CommandError, match="strictly between 0 and 1"):
        run_command("--rules", "progression_fraction=2")
    with pytest.raises(CommandError, match="rules are given as key=value"):
        run_command("--rules", "progression_fraction")
    with pytest.raises(CommandError, match="No patient 'SSC-NOPE'"):
        run_command("--patient", "SSC-NOPE")
