"""Stored DICOM files that no row references, removed after a grace period (issue 21).

A cut between writing a content-addressed file and inserting its row leaves a file without a
row. It is harmless (a resend of the same bytes reuses it) but accumulates, so a beat sweep
removes the files under ``dicom/`` that no :class:`~imaging.models.DicomInstance` names (file,
thumbnail or viewer image) and that are older than ``REGISTRY_DICOM_ORPHAN_GRACE_HOURS``. The
grace period covers ingests in flight: a file is written before its row is committed. Only
Django's storage API is used (listdir, get_modified_time, delete), so a file system and an S3
bucket are swept alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import Storage
from django.db.models import Q
from django.utils import timezone

from imaging.dicom.storage import dicom_storage
from imaging.models import DicomInstance

ROOT = "dicom"
FILE_FIELDS = ("file", "thumbnail", "viewer_image")


def _leaf_folders(storage: Storage, folder: str = ROOT) -> Iterator[tuple[str, list[str]]]:
    """(folder, its file names) for every folder under ``folder`` that holds files."""
    folders, files = storage.listdir(folder)
    if files:
        yield folder, files
    for name in folders:
        yield from _leaf_folders(storage, f"{folder}/{name}")


def referenced_names(names: list[str]) -> set[str]:
    """Those of ``names`` that some DicomInstance names, in one query."""
    match = Q()
    for field in FILE_FIELDS:
        match |= Q(**{f"{field}__in": names})
    rows = DicomInstance.objects.filter(match).values_list(*FILE_FIELDS)
    return {name for row in rows for name in row} & set(names)


def orphan_files_sweep(*, now: datetime | None = None, grace: timedelta | None = None) -> int:
    """Delete the stored files that no row references and that are older than the grace
    period; returns how many were deleted."""
    storage = dicom_storage()
    if not storage.exists(ROOT):
        return 0
    now = now or timezone.now()
    grace = grace or timedelta(hours=settings.REGISTRY_DICOM_ORPHAN_GRACE_HOURS)
    deleted = 0
    for folder, files in _leaf_folders(storage):
        names = [f"{folder}/{name}" for name in files]
        unreferenced = set(names) - referenced_names(names)
        for name in sorted(unreferenced):
            if storage.get_modified_time(name) > now - grace:
                continue
            if not referenced_names([name]):  # named by a row committed since the folder's query
                storage.delete(name)
                deleted += 1
    return deleted
