"""Status moves of an export job (STYLE.md habit 3: job state is a model): the guarded moves of
:class:`registry.jobs.Job` with the export's own table (a finished job may expire)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from exports.models import ExportJob
from registry.jobs import ILLEGAL_MOVE, IllegalJobMove

__all__ = ["ALLOWED_MOVES", "ILLEGAL_MOVE", "IllegalJobMove", "Status", "job_move", "job_progress"]

Status = ExportJob.Status
ALLOWED_MOVES = ExportJob.ALLOWED_MOVES


def job_move(job_id: int, target: str, **fields: Any) -> None:
    """Move the job to ``target`` (with ``fields``), or raise :class:`IllegalJobMove`."""
    ExportJob.move(job_id, target, **fields)


def job_progress(job_id: int, *, done: int, total: int | None = None) -> None:
    """Record progress of a running job (one UPDATE; a job no longer running is left alone)."""
    values: dict[str, Any] = {"done": done, "heartbeat_at": timezone.now()}
    if total is not None:
        values["total"] = total
    ExportJob.objects.filter(pk=job_id, status=Status.RUNNING).update(**values)
