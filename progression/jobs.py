"""Status moves of a cohort recomputation job (STYLE.md habit 3: job state is a model).

Every move is one conditional UPDATE: it happens only from a status that allows it, so two
workers running the same job (a redelivered task) cannot both finish it or revive a failed one.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils import timezone

from progression.models import RecomputeJob
from registry.job_moves import IllegalJobMove, move_job

__all__ = ["ALLOWED_MOVES", "ILLEGAL_MOVE", "IllegalJobMove", "Status", "job_advance", "job_move"]

Status = RecomputeJob.Status

# from -> the statuses it may move to; running -> running is a resumed (redelivered) task.
ALLOWED_MOVES = {
    Status.PENDING: {Status.RUNNING, Status.FAILED},
    Status.RUNNING: {Status.RUNNING, Status.SUCCEEDED, Status.FAILED},
    Status.SUCCEEDED: set(),
    Status.FAILED: set(),
}
ILLEGAL_MOVE = "recompute job {job}: cannot move from {current} to {target}"


def job_move(job_id: int, target: str, **fields: Any) -> None:
    """Move the job to ``target`` (with ``fields``), or raise :class:`IllegalJobMove`."""
    move_job(RecomputeJob, ALLOWED_MOVES, ILLEGAL_MOVE, job_id, target, **fields)


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
