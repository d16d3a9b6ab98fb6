"""Celery adapters of the imaging services: take ids, call one service."""

from __future__ import annotations

from celery import shared_task

from imaging.dicom_previews import dicom_previews_render, dicom_previews_sweep


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def render_dicom_previews(instance_ids: list[int]) -> None:
    """Storage errors (OSError) are transient and retried; the rest is recorded as failed."""
    dicom_previews_render(instance_ids=instance_ids)


@shared_task(ignore_result=True)
def sweep_pending_dicom_previews() -> int:
    """Run by celery beat (CELERY_BEAT_SCHEDULE["dicom-previews-sweep"])."""
    return dicom_previews_sweep()
