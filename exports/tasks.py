"""Celery tasks: thin adapters taking ids and calling one service (exports.services).

``run_export`` is idempotent: a redelivered run of a running job writes the file again and only
the first to finish stores it. Transient database errors are retried with backoff; anything else
fails the job with its reason. A 1,000,000-lesion CSV takes seconds, far below the broker's
visibility timeout (CELERY_VISIBILITY_TIMEOUT).
"""

from __future__ import annotations

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

from exports import services


class ExportJobTask(Task):
    """Marks the job failed once its retries are exhausted."""

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        job_id = args[0] if args else kwargs.get("job_id")
        services.export_fail(job_id=job_id, error=f"{type(exc).__name__}: {exc}")


@shared_task(
    bind=True,
    base=ExportJobTask,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
)
def run_export(self, job_id: int) -> None:
    services.export_run(job_id=job_id)


@shared_task(acks_late=True)
def expire_exports() -> dict[str, int]:
    return services.export_sweep()
