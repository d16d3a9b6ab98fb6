"""Marking patients as needing recomputation, and queueing it after commit, debounced.

The database is the source of truth: a change bumps ``ProgressionState.data_version`` in the
writer's own transaction, and only after commit (``transaction.on_commit``) is a task queued. If
the broker is down or hangs, the enqueue gives up within about a second
(:mod:`registry.enqueue`), the claim is released, the patient stays dirty, and the beat sweep
(:func:`progression.services.progression_sweep`) queues it when the broker is back.

Debounce (leading and trailing edge): a change after a quiet period is queued at once, so a
single edit is recomputed within milliseconds; while a recomputation is queued and not started
(``recompute_pending``) further changes queue nothing; a change soon after the last enqueue is
queued with a countdown that ends ``REGISTRY_PROGRESSION_DEBOUNCE_SECONDS`` after it, so a burst
of edits gives one trailing recomputation per window, not one per edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from celery import Task
from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from progression.models import ProgressionState
from registry.enqueue import enqueue


def bump_data_version(patient_id: int, *, create: bool = True) -> None:
    """Record in the current transaction that the patient's progression inputs changed.

    ``create=False`` (deletions) never inserts a state row: during a cascade the patient itself
    may be about to go, and a patient without a state row is picked up by the sweep anyway.
    """
    now = timezone.now()
    bump = {
        "data_version": F("data_version") + 1,
        "dirty_since": Coalesce(F("dirty_since"), Value(now, output_field=DateTimeField())),
    }
    if ProgressionState.objects.filter(pk=patient_id).update(**bump) or not create:
        return
    _, created = ProgressionState.objects.get_or_create(
        patient_id=patient_id, defaults={"data_version": 1, "dirty_since": now}
    )
    if not created:  # a concurrent first change created it: bump it like any other
        ProgressionState.objects.filter(pk=patient_id).update(**bump)


def request_after_commit(patient_id: int) -> None:
    """Queue the patient's recomputation once the current transaction commits. Robust: an
    error there is logged, never raised into the write that has already committed."""

    def after_commit() -> None:  # a function, not a partial: Django logs its __qualname__
        request_recompute(patient_id)

    transaction.on_commit(after_commit, robust=True)


def claimable(now) -> Q:
    """Not already queued, or queued so long ago that the message must have been lost."""
    lost_before = now - timedelta(seconds=settings.REGISTRY_PROGRESSION_REQUEUE_AFTER_SECONDS)
    return Q(recompute_pending=False) | Q(enqueued_at__lt=lost_before) | Q(enqueued_at=None)


def request_recompute(patient_id: int) -> bool:
    """Queue one recomputation unless one is already pending or nothing is dirty; True when a
    task was sent."""
    now = timezone.now()
    rows = ProgressionState.objects.filter(pk=patient_id)
    previous = rows.values_list("enqueued_at", flat=True).first()
    # A clean state (the request matched its own lesion: imaging.services.lesion_save_matched)
    # has nothing left to compute: no task (review finding: one no-op task per API write).
    if not rows.filter(claimable(now), dirty_since__isnull=False).update(
        recompute_pending=True, enqueued_at=now
    ):
        return False
    countdown = 0.0
    if previous is not None:
        since = (now - previous).total_seconds()
        countdown = max(0.0, settings.REGISTRY_PROGRESSION_DEBOUNCE_SECONDS - since)
    return send(
        "progression.tasks.recompute_patient",
        (patient_id,),
        claimed=[patient_id],
        at=now,
        countdown=countdown,
    )


def claim_many(patient_ids: Sequence[int]) -> list[int]:
    """Mark the claimable ones among ``patient_ids`` as queued now; returns those claimed."""
    now = timezone.now()
    rows = ProgressionState.objects.filter(pk__in=patient_ids)
    rows.filter(claimable(now)).update(recompute_pending=True, enqueued_at=now)
    return sorted(rows.filter(enqueued_at=now).values_list("pk", flat=True))


def send(
    task: Task | str,
    args: tuple[Any, ...],
    *,
    claimed: Sequence[int] = (),
    at=None,
    countdown: float = 0.0,
) -> bool:
    """Publish ``task`` (:func:`registry.enqueue.enqueue`); if the broker is unreachable,
    release the claim on ``claimed`` patients so that the sweep's next pass takes them."""

    def release() -> None:
        released = ProgressionState.objects.filter(pk__in=claimed)
        if at is not None:
            released = released.filter(enqueued_at=at)
        released.update(recompute_pending=False)

    return enqueue(task, args, countdown=countdown, on_failure=release if claimed else None)
