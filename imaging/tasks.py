"""Celery adapters of the imaging services: take ids, call one service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from imaging.dicom.orphans import orphan_files_sweep
from imaging.dicom.previews import dicom_previews_render, dicom_previews_sweep


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def render_dicom_previews(instance_ids: list[int]) -> None:
    """Storage errors (OSError) are transient and retried; the rest is recorded as failed."""
    dicom_previews_render(instance_ids=instance_ids)


@shared_task(ignore_result=True)
def sweep_pending_dicom_previews() -> int:
    """Run by celery beat (CELERY_BEAT_SCHEDULE["dicom-previews-sweep"]) every
    REGISTRY_DICOM_PREVIEW_SWEEP_SECONDS, for previews pending at least as long."""
    period = timedelta(seconds=settings.REGISTRY_DICOM_PREVIEW_SWEEP_SECONDS)
    return dicom_previews_sweep(older_than=period)


@shared_task(ignore_result=True)
def sweep_orphan_dicom_files() -> int:
    """Run by celery beat (CELERY_BEAT_SCHEDULE["dicom-orphan-files-sweep"])."""
    return orphan_files_sweep()
