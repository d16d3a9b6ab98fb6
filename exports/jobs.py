"""Status moves of an export job (STYLE.md habit 3: job state is a model).

Every move is one conditional UPDATE that happens only from a status allowing it, so two runs of
the same job (a redelivered task) cannot both finish it, and nothing revives an expired job.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from exports.models import ExportJob

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


class IllegalJobMove(Exception):
    """The job is not in a status from which the requested move is allowed."""


def sources_of(target: str) -> list[str]:
    return [source for source, targets in ALLOWED_MOVES.items() if target in targets]


def job_move(job_id: int, target: str, **fields: Any) -> None:
    """Move the job to ``target`` (with ``fields``), or raise :class:`IllegalJobMove`."""
    now = timezone.now()
    values: dict[str, Any] = {"status": target, "heartbeat_at": now, **fields}
    if target == Status.RUNNING:
        values["started_at"] = Coalesce(F("started_at"), now)
    if target in (Status.SUCCEEDED, Status.FAILED):
        values["finished_at"] = now
    if not ExportJob.objects.filter(pk=job_id, status__in=sources_of(target)).update(**values):
        current = ExportJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
        raise IllegalJobMove(ILLEGAL_MOVE.format(job=job_id, current=current, target=target))


def job_progress(job_id: int, *, done: int, total: int | None = None) -> None:
    """Record progress of a running job (one UPDATE; a job no longer running is left alone)."""
    values: dict[str, Any] = {"done": done, "heartbeat_at": timezone.now()}
    if total is not None:
        values["total"] = total
    ExportJob.objects.filter(pk=job_id, status=Status.RUNNING).update(**values)
