"""Status moves of a cohort recomputation job (STYLE.md habit 3: job state is a model): the
guarded moves of :class:`registry.jobs.Job`, a batch's advance, and settling a job in parts.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from progression.models import RecomputeJob
from registry.jobs import ILLEGAL_MOVE, IllegalJobMove

__all__ = [
    "ALLOWED_MOVES",
    "ILLEGAL_MOVE",
    "IllegalJobMove",
    "Status",
    "job_advance",
    "job_move",
    "job_settle",
]

Status = RecomputeJob.Status
ALLOWED_MOVES = RecomputeJob.ALLOWED_MOVES


def job_move(job_id: int, target: str, **fields: Any) -> None:
    """Move the job to ``target`` (with ``fields``), or raise :class:`IllegalJobMove`."""
    RecomputeJob.move(job_id, target, **fields)


def job_advance(
    job_id: int,
    *,
    cursor: int,
    to_cursor: int,
    done: int,
    failures: int,
    parent_id: int | None = None,
) -> bool:
    """Record a finished batch, only if nobody else advanced the job meanwhile (a redelivered
    task running the same batch): False tells the caller to stop, the other run goes on. A part
    adds the batch to its parent job in the same transaction."""
    now = timezone.now()
    counts = {"done": F("done") + done, "failures": F("failures") + failures, "heartbeat_at": now}
    with transaction.atomic():
        advanced = RecomputeJob.objects.filter(
            pk=job_id, status=Status.RUNNING, cursor=cursor
        ).update(cursor=to_cursor, **counts)
        if advanced and parent_id is not None:
            RecomputeJob.objects.filter(pk=parent_id).update(**counts)
    return bool(advanced)


def job_settle(parent_id: int) -> None:
    """End a job split into parts once every part has ended: failed (with the first part's
    error) if a part failed, else succeeded. Parts ending together serialise on the parent's
    row, so whichever looks last sees every part's end."""
    with transaction.atomic():
        list(RecomputeJob.objects.select_for_update().filter(pk=parent_id).values_list("pk"))
        parts = RecomputeJob.objects.filter(parent_id=parent_id)
        if parts.filter(status__in=RecomputeJob.ACTIVE).exists():
            return
        error = parts.filter(status=Status.FAILED).order_by("pk").values_list("error", flat=True)
        with contextlib.suppress(IllegalJobMove):
            if error:
                job_move(parent_id, Status.FAILED, error=error[0])
            else:
                job_move(parent_id, Status.SUCCEEDED, total=F("done"))
