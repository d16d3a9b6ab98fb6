"""Status moves of an export job (STYLE.md habit 3: job state is a model).

Every move is one conditional UPDATE that happens only from a status allowing it, so two runs of
the same job (a redelivered task) cannot both finish it, and nothing revives an expired job.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from exports.models import ExportJob
from registry.job_moves import IllegalJobMove, move_job

__all__ = ["ALLOWED_MOVES", "ILLEGAL_MOVE", "IllegalJobMove", "Status", "job_move", "job_progress"]

Status = ExportJob.Status

# from -> the statuses it may move to; running -> running is a resumed (redelivered) task.
ALLOWED_MOVES: dict[str, set[str]] = {
    Status.PENDING: {Status.RUNNING, Status.FAILED},
    Status.RUNNING: {Status.RUNNING, Status.SUCCEEDED, Status.FAILED},
    Status.SUCCEEDED: {Status.EXPIRED},
    Status.FAILED: {Status.EXPIRED},
    Status.EXPIRED: set(),
}
ILLEGAL_MOVE = "export job {job}: cannot move from {current} to {target}"


def job_move(job_id: int, target: str, **fields: Any) -> None:
    """Move the job to ``target`` (with ``fields``), or raise :class:`IllegalJobMove`."""
    move_job(ExportJob, ALLOWED_MOVES, ILLEGAL_MOVE, job_id, target, **fields)


def job_progress(job_id: int, *, done: int, total: int | None = None) -> None:
    """Record progress of a running job (one UPDATE; a job no longer running is left alone)."""
    values: dict[str, Any] = {"done": done, "heartbeat_at": timezone.now()}
    if total is not None:
        values["total"] = total
    ExportJob.objects.filter(pk=job_id, status=Status.RUNNING).update(**values)
