"""Status moves of a cohort recomputation job (STYLE.md habit 3: job state is a model).

Every move is one conditional UPDATE: it happens only from a status that allows it, so two
workers running the same job (a redelivered task) cannot both finish it or revive a failed one.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from progression.models import RecomputeJob

Status = RecomputeJob.Status

# from -> the statuses it may move to; running -> running is a resumed (redelivered) task.
ALLOWED_MOVES = {
    Status.PENDING: {Status.RUNNING, Status.FAILED},
    Status.RUNNING: {Status.RUNNING, Status.SUCCEEDED, Status.FAILED},
    Status.SUCCEEDED: set(),
    Status.FAILED: set(),
}
ILLEGAL_MOVE = "recompute job {job}: cannot move from {current} to {target}"


class IllegalJobMove(Exception):
    """The job is not in a status from which the requested move is allowed."""


def job_move(job_id: int, target: str, **fields: Any) -> None:
    """Move the job to ``target`` (with ``fields``), or raise :class:`IllegalJobMove`."""
    sources = [source for source, targets in ALLOWED_MOVES.items() if target in targets]
    now = timezone.now()
    values: dict[str, Any] = {"status": target, "heartbeat_at": now, **fields}
    if target == Status.RUNNING:
        values["started_at"] = Coalesce(F("started_at"), now)
    if target in (Status.SUCCEEDED, Status.FAILED):
        values["finished_at"] = now
    if not RecomputeJob.objects.filter(pk=job_id, status__in=sources).update(**values):
        current = RecomputeJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
        raise IllegalJobMove(ILLEGAL_MOVE.format(job=job_id, current=current, target=target))


def job_advance(job_id: int, *, cursor: int, to_cursor: int, done: int, failures: int) -> bool:
    """Record a finished batch, only if nobody else advanced the job meanwhile (a redelivered
    task running the same batch): False tells the caller to stop, the other run goes on."""
    return bool(
        RecomputeJob.objects.filter(pk=job_id, status=Status.RUNNING, cursor=cursor).update(
            cursor=to_cursor,
            done=F("done") + done,
            failures=F("failures") + failures,
            heartbeat_at=timezone.now(),
        )
    )
