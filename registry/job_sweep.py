"""The stale-job sweep: one mechanism for every job kind (every concrete :class:`Job`), run by
celery beat every REGISTRY_JOB_SWEEP_SECONDS (issue #21, part 2).

A task holding a job writes its heartbeat every REGISTRY_JOB_HEARTBEAT_SECONDS. A running job
silent for longer than REGISTRY_JOB_STALE_AFTER_SECONDS lost its worker (SIGKILL, OOM, a
container stopped; and perhaps its broker message, if Redis restarted without persistence): it
goes back to pending and is queued again, until it has stopped REGISTRY_JOB_MAX_ATTEMPTS times,
then it fails with :data:`STOPPED`. A pending job as old is queued again too (its message was
lost, or never sent while the broker was down). Scratch folders of runs that are not alive any
more are removed. Running a job twice is safe: every kind is idempotent (a second run's moves
are refused). docs/operations.md, "Background jobs that stop".
"""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from registry.enqueue import enqueue
from registry.jobs import IllegalJobMove, Job, silent_since

__all__ = ["STOPPED", "job_kinds", "jobs_sweep", "remove_dead_scratch", "silent_since"]

STOPPED = (
    "The worker running this job stopped ({attempts} attempts): it was killed or lost its "
    "broker, and the job is not queued again. Request it again; if it stops again, see "
    "docs/operations.md."
)
Status = Job.Status


def job_kinds() -> list[type[Job]]:
    """Every concrete job model."""
    return [model for model in apps.get_models() if issubclass(model, Job)]


def jobs_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Take back the stale jobs of every kind, queue again lost pending ones, and remove the
    scratch folders of dead runs; the counts of each."""
    now = now or timezone.now()
    bound = now - timedelta(seconds=settings.REGISTRY_JOB_STALE_AFTER_SECONDS)
    counts: Counter[str] = Counter()
    for kind in job_kinds():
        stale = kind.runnable().filter(silent_since(bound), status__in=kind.ACTIVE)
        for job_id, status, attempts in stale.values_list("pk", "status", "attempts"):
            if status == Status.RUNNING:
                counts[_take_back(kind, job_id, attempts, bound)] += 1
            else:  # pending: its message was lost; queued again at most once per bound
                lost = kind.objects.filter(silent_since(bound), pk=job_id, status=Status.PENDING)
                if lost.update(heartbeat_at=now):
                    counts["requeued"] += enqueue(kind.task, (job_id,))
        counts["scratch_removed"] += remove_dead_scratch(kind, bound)
    return {key: counts[key] for key in ("requeued", "failed", "scratch_removed")}


def _take_back(kind: type[Job], job_id: int, attempts: int, bound: datetime) -> str:
    """Fail the stale running job after its last attempt, else move it back to pending and
    queue it again; the counter to add it to. Both moves are refused if it beat meanwhile."""
    last = attempts + 1 >= settings.REGISTRY_JOB_MAX_ATTEMPTS
    error = STOPPED.format(attempts=attempts + 1)
    try:
        if last:
            kind.move(job_id, Status.FAILED, where=silent_since(bound), error=error)
        else:
            kind.move(job_id, Status.PENDING, where=silent_since(bound),
                      attempts=F("attempts") + 1)
    except IllegalJobMove:  # it beat or ended since it was read: alive after all
        return "alive"
    for folder_job, path in kind.scratch_dirs():  # before a new run makes its own
        if folder_job == job_id:
            shutil.rmtree(path, ignore_errors=True)
    if last:
        import_string(kind.fail)(job_id=job_id, error=error)  # what else failing means (parts)
        return "failed"
    return "requeued" if enqueue(kind.task, (job_id,)) else "not_sent"


def remove_dead_scratch(kind: type[Job], bound: datetime) -> int:
    """Remove this machine's scratch folders of jobs that no live run holds (not running, or
    silent since ``bound``); how many were removed."""
    folders = list(kind.scratch_dirs())
    if not folders:
        return 0
    alive = set(
        kind.objects.filter(pk__in={job_id for job_id, _ in folders}, status=Status.RUNNING)
        .exclude(silent_since(bound))
        .values_list("pk", flat=True)
    )
    removed = 0
    for job_id, path in folders:
        if job_id not in alive:
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed
