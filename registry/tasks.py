"""Celery tasks spanning the apps: thin adapters calling one service."""

from __future__ import annotations

from celery import shared_task

from registry.job_sweep import jobs_sweep


@shared_task(acks_late=True)
def sweep_stale_jobs() -> dict[str, int]:
    return jobs_sweep()
