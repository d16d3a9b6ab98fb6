"""Cohort-wide recomputation jobs (after a rules change): start, run in batches, fail, resume.

A job walks its patients in primary-key order from a cursor, a batch at a time, through
:func:`progression.services.progression_recompute_many`; every status move goes through
:mod:`progression.jobs`. On a broker a job is split into parts (ranges of patients, one task
each) so that all the worker processes share it; the parts add their progress to the job and
the last to end settles it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Count, F, Max, Q

from patients.models import Patient
from progression.engine.rules import Rules
from progression.jobs import IllegalJobMove, Status, job_advance, job_move, job_settle
from progression.models import RecomputeJob
from progression.registry_rules import rules_with
from progression.services import RuleInput, progression_recompute_many
from registry.enqueue import enqueue_after_commit
from registry.jobs import heartbeat


def cohort_recompute_start(
    *,
    rules: RuleInput = None,
    user: Any = None,
    enqueue_job: bool = True,
    parts: int | None = None,
) -> RecomputeJob:
    """Create a job recomputing every patient (as of now) under ``rules`` and queue it after
    commit (without a broker it runs in-process at commit). It is split into ``parts`` parts,
    one task each, so that the workers' processes share it (default: on a broker
    ``REGISTRY_PROGRESSION_JOB_PARTS``, in-process one). ``enqueue_job=False`` leaves the
    running to the caller (``recompute_progression --sync``)."""
    resolved = rules_with(rules)
    with transaction.atomic():
        scope = Patient.objects.aggregate(last=Max("pk"), total=Count("pk"))
        job = RecomputeJob.objects.create(
            rules=resolved.as_dict(),
            total=scope["total"],
            scope_last_patient_id=scope["last"] or 0,
            created_by=user if getattr(user, "pk", None) else None,
        )
        if enqueue_job:
            if parts is None:
                eager = current_app.conf.task_always_eager
                parts = 1 if eager else settings.REGISTRY_PROGRESSION_JOB_PARTS
            tasks = [part.pk for part in _split(job, parts)] or [job.pk]

            for job_id in tasks:
                enqueue_after_commit("progression.tasks.run_cohort_recompute", (job_id,))
    return job


def _split(job: RecomputeJob, count: int) -> list[RecomputeJob]:
    """Parts of ``job``: ranges of about equal numbers of its patients (none for a job smaller
    than two batches, which one task runs as fast)."""
    count = min(count, job.total // settings.REGISTRY_PROGRESSION_JOB_BATCH_SIZE)
    if count < 2:
        return []
    scope = Patient.objects.filter(pk__lte=job.scope_last_patient_id).order_by("pk")
    ends = [scope.values_list("pk", flat=True)[job.total * n // count - 1] for n in range(1, count)]
    bounds = [0, *ends, job.scope_last_patient_id]
    sizes = [job.total * n // count - job.total * (n - 1) // count for n in range(1, count + 1)]
    return RecomputeJob.objects.bulk_create(
        RecomputeJob(
            parent=job,
            rules=job.rules,
            total=size,
            cursor=first,
            scope_last_patient_id=last,
            created_by=job.created_by,
        )
        for first, last, size in zip(bounds[:-1], bounds[1:], sizes, strict=True)
    )


def cohort_recompute_run(
    *,
    job_id: int,
    time_budget_s: float | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> bool:
    """Work through the job's patients in batches from its cursor; True when the job is over
    (or another run of it holds it), False when ``time_budget_s`` ran out first: the job is
    then pending, handed over to the next slice (not silent, so the sweep takes nothing back).
    A database error hands the job back (pending) for the task's retry."""
    job = RecomputeJob.objects.get(pk=job_id)
    if job.is_finished:
        if job.parent_id is not None:  # a run stopped between the part's end and the settling
            job_settle(job.parent_id)
        return True
    try:
        job_move(job_id, Status.RUNNING)
    except IllegalJobMove:  # finished meanwhile, or another run holds it and is alive
        return True
    if job.parent_id is not None:
        with contextlib.suppress(IllegalJobMove):  # another part may have started it or failed
            job_move(job.parent_id, Status.RUNNING)
    with heartbeat(RecomputeJob, job_id):
        try:
            return _run_batches(job, time_budget_s, on_progress)
        except DatabaseError:
            with contextlib.suppress(IllegalJobMove, DatabaseError):
                job_move(job_id, Status.PENDING)
            raise


def _run_batches(
    job: RecomputeJob,
    time_budget_s: float | None,
    on_progress: Callable[[int, int], None] | None,
) -> bool:
    job_id = job.pk
    rules = Rules.from_mapping(job.rules)
    cursor, done = job.cursor, job.done
    started = time.monotonic()
    batch = settings.REGISTRY_PROGRESSION_JOB_BATCH_SIZE
    scope = Patient.objects.filter(pk__lte=job.scope_last_patient_id).order_by("pk")
    while True:
        ids = list(scope.filter(pk__gt=cursor).values_list("pk", flat=True)[:batch])
        if not ids:
            # A redelivered run of the same job may have finished it first.
            with contextlib.suppress(IllegalJobMove):
                job_move(job_id, Status.SUCCEEDED, total=F("done"))
            if job.parent_id is not None:
                job_settle(job.parent_id)
            return True
        outcome = progression_recompute_many(patient_ids=ids, rules=rules, force=True)
        advanced = job_advance(
            job_id,
            cursor=cursor,
            to_cursor=ids[-1],
            done=len(ids),
            failures=len(outcome.failed),
            parent_id=job.parent_id,
        )
        if not advanced:
            return True
        cursor, done = ids[-1], done + len(ids)
        if on_progress is not None:
            on_progress(done, job.total)
        if time_budget_s is not None and time.monotonic() - started >= time_budget_s:
            try:  # only if no other run advanced it meanwhile
                job_move(job_id, Status.PENDING, where=Q(cursor=cursor))
            except IllegalJobMove:
                return True
            return False


def cohort_recompute_fail(*, job_id: int, error: str) -> None:
    """Mark the job failed with ``error`` unless it is already over (a part: and its job once
    every part has ended)."""
    with contextlib.suppress(IllegalJobMove):
        job_move(job_id, Status.FAILED, error=error[:2000])
    parent_id = RecomputeJob.objects.filter(pk=job_id).values_list("parent_id", flat=True).first()
    if parent_id is not None:
        job_settle(parent_id)
