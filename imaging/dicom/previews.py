"""PNG previews of received DICOM images: rendered in Celery, batched per upload or association.

Rendering decodes the pixels (tens of milliseconds for a full-size radiograph, RECIPES.md), so
it stays out of the receive path: ingest enqueues after commit, and callers that ingest many
files open a ``preview_batch()`` so one task covers a batch (STYLE.md: never one task per row;
OpenREM issue #963). Status moves pending -> ready or failed, once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from imaging.dicom.read import DicomError
from imaging.dicom.sandbox import previews_render
from imaging.dicom.storage import dicom_storage, store_content
from imaging.models import DicomInstance
from registry.enqueue import enqueue

logger = logging.getLogger(__name__)

# Ids per task: a task must finish well within the broker's visibility timeout (settings).
TASK_BATCH_SIZE = 50
# The sweep re-enqueues previews pending longer than this, at most SWEEP_LIMIT per run.
SWEEP_AGE = timedelta(minutes=10)
SWEEP_LIMIT = 50 * TASK_BATCH_SIZE

_batch: ContextVar[list[int] | None] = ContextVar("dicom_preview_batch", default=None)


def previews_enqueue(instance_ids: list[int]) -> None:
    """One render task per TASK_BATCH_SIZE ids, sent when the current transaction commits.
    A broker outage never fails an ingest: the images stay pending for the sweep."""
    for start in range(0, len(instance_ids), TASK_BATCH_SIZE):
        chunk = list(instance_ids[start : start + TASK_BATCH_SIZE])
        transaction.on_commit(lambda chunk=chunk: _send(chunk))


def _send(instance_ids: list[int]) -> None:
    # If the broker is down, the sweep queues them again.
    enqueue("imaging.tasks.render_dicom_previews", (instance_ids,))


def dicom_previews_sweep(*, older_than: timedelta = SWEEP_AGE) -> int:
    """Enqueue again the previews still pending ``older_than`` after receipt (the broker was
    down, or a worker died); rendering skips what is ready, so a repeat costs nothing."""
    cutoff = timezone.now() - older_than
    pending = DicomInstance.objects.filter(
        preview_status=DicomInstance.PreviewStatus.PENDING, received_at__lt=cutoff
    )
    ids = list(pending.order_by("pk").values_list("pk", flat=True)[:SWEEP_LIMIT])
    previews_enqueue(ids)
    return len(ids)


def preview_enqueue(instance_id: int) -> None:
    """Render this instance's previews after commit, or collect it into the open batch."""
    pending = _batch.get()
    if pending is None:
        previews_enqueue([instance_id])
    else:
        pending.append(instance_id)


@contextlib.contextmanager
def collect_previews(pending: list[int]) -> Iterator[list[int]]:
    """Collect into ``pending`` the ids ingested inside the block; the caller enqueues them
    (the DICOM receiver does so once per association)."""
    token = _batch.set(pending)
    try:
        yield pending
    finally:
        _batch.reset(token)


@contextlib.contextmanager
def preview_batch() -> Iterator[list[int]]:
    """Collect the ids ingested inside the block; enqueue them in chunks when it ends."""
    pending: list[int] = []
    try:
        with collect_previews(pending):
            yield pending
    finally:
        if pending:
            previews_enqueue(pending)


def dicom_previews_render(*, instance_ids: list[int]) -> None:
    """Render the thumbnail and viewer PNGs of the pending instances among ``instance_ids``,
    each in a child process within the REGISTRY_DICOM_DECODE_* limits (imaging.dicom.sandbox)."""
    from imaging.dicom.ingest import dicom_limits  # ingest imports this module

    sizes = settings.REGISTRY_DICOM_PREVIEW_SIZES
    limits = dicom_limits()
    instances = DicomInstance.objects.filter(
        pk__in=instance_ids, preview_status=DicomInstance.PreviewStatus.PENDING
    ).only("pk", "file", "sha256")
    storage = dicom_storage()
    for instance in instances:
        with storage.open(instance.file.name, "rb") as handle:
            data = handle.read()
        try:
            pngs = previews_render(data, sizes=sizes, limits=limits)
        except DicomError as exc:
            # The file was accepted, so this is a renderer limit: record it, keep the image.
            logger.warning("preview of DICOM instance %s failed: %s", instance.pk, exc.reason)
            DicomInstance.objects.filter(pk=instance.pk).update(
                preview_status=DicomInstance.PreviewStatus.FAILED
            )
            continue
        names = {
            size: store_content(png, suffix=f"-{size}.png", sha256=instance.sha256)
            for size, png in pngs.items()
        }
        DicomInstance.objects.filter(pk=instance.pk).update(
            thumbnail=names["thumb"],
            viewer_image=names["viewer"],
            preview_status=DicomInstance.PreviewStatus.READY,
        )
