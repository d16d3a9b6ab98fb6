"""Celery tasks of the access log: thin adapters calling one service."""

from __future__ import annotations

from celery import shared_task

from access_log.services import access_log_prune


@shared_task(ignore_result=True)
def prune_access_log() -> int:
    """Run by celery beat (CELERY_BEAT_SCHEDULE["access-log-prune"]) once a day."""
    return access_log_prune()
