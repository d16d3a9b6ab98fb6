"""Celery tasks: thin adapters taking ids and calling one service (progression.services).

All are idempotent and safe to run twice or at the same time (redelivery after a worker was
killed, the sweep and an edit queueing the same patient): see the protocol in
progression.services. ``acks_late`` with ``task_reject_on_worker_lost`` (settings) brings a
killed worker's task back; database errors are retried with exponential backoff.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from progression import cohort_jobs, services
from registry.enqueue import enqueue

RETRY = {
    "acks_late": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": True,
    "retry_backoff_max": 30,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**RETRY)
def recompute_patient(patient_id: int) -> str:
    return services.progression_recompute(patient_id=patient_id)


@shared_task(**RETRY)
def recompute_patients(patient_ids: list[int]) -> dict[str, int]:
    return services.progression_recompute_many(patient_ids=patient_ids).counts()


@shared_task(acks_late=True)
def sweep_dirty_patients() -> dict[str, int]:
    return services.progression_sweep()


@shared_task(bind=True, acks_late=True, max_retries=RETRY["max_retries"])
def run_cohort_recompute(self, job_id: int) -> None:
    """One time slice of the job (well under the visibility timeout), then queue the next (the
    job waits for it pending: a wait in the queue is not a stopped worker); in
    eager mode (no broker) the whole job at once. Database errors are retried with backoff; the
    job is marked failed by the attempt that gives up (explicitly: in eager mode Celery calls no
    failure handler), so a job never stays "running" after its last attempt."""
    budget = None if self.request.is_eager else settings.REGISTRY_PROGRESSION_JOB_SLICE_SECONDS
    try:
        finished = cohort_jobs.cohort_recompute_run(job_id=job_id, time_budget_s=budget)
    except DatabaseError as error:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            cohort_jobs.cohort_recompute_fail(
                job_id=job_id, error=f"{type(error).__name__}: {error}"
            )
            raise
        countdown = min(RETRY["retry_backoff_max"], 2**self.request.retries)
        raise self.retry(exc=error, countdown=countdown) from error
    except Exception as error:
        cohort_jobs.cohort_recompute_fail(job_id=job_id, error=f"{type(error).__name__}: {error}")
        raise
    if not finished:
        enqueue(run_cohort_recompute, (job_id,))
