"""Guarded status moves of job models (STYLE.md habit 3: job state is a model).

Every move is one conditional UPDATE that happens only from a status allowing it, so two runs of
the same job (a redelivered task) cannot both finish it, and nothing revives a finished job.
Each app keeps its own table of allowed moves and its own message (exports.jobs,
progression.jobs); the jobs share the fields status, started_at, finished_at and heartbeat_at.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

RUNNING = "running"
FINAL = ("succeeded", "failed")


class IllegalJobMove(Exception):
    """The job is not in a status from which the requested move is allowed."""


def sources_of(allowed_moves: Mapping[str, set[str]], target: str) -> list[str]:
    return [source for source, targets in allowed_moves.items() if target in targets]


def move_job(
    model: type[models.Model],
    allowed_moves: Mapping[str, set[str]],
    message: str,
    job_id: int,
    target: str,
    **fields: Any,
) -> None:
    """Move job ``job_id`` to ``target`` (with ``fields``), or raise IllegalJobMove with
    ``message`` formatted with job, current and target."""
    now = timezone.now()
    values: dict[str, Any] = {"status": target, "heartbeat_at": now, **fields}
    if target == RUNNING:
        values["started_at"] = Coalesce(F("started_at"), now)
    if target in FINAL:
        values["finished_at"] = now
    sources = sources_of(allowed_moves, target)
    if not model.objects.filter(pk=job_id, status__in=sources).update(**values):
        current = model.objects.filter(pk=job_id).values_list("status", flat=True).first()
        raise IllegalJobMove(message.format(job=job_id, current=current, target=target))
