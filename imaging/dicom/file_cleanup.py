"""The stored files of deleted DICOM instances leave with them, once the deletion is committed.

Any deletion of a :class:`~imaging.models.DicomInstance` (a patient deleted through the API or
the admin, a radiograph deleted, an erasure) removes its de-identified file and previews after
the transaction commits, through Django's storage API (a file system or a bucket alike). Files
are content-addressed, so the same bytes may back an instance of another center: a name still
referenced by any row stays. A rolled-back deletion removes nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from imaging.dicom.orphans import FILE_FIELDS, referenced_names
from imaging.dicom.storage import dicom_storage
from imaging.models import DicomInstance


def stored_names(instance: DicomInstance) -> set[str]:
    """The storage names an instance holds (file, thumbnail, viewer image)."""
    return {name for name in (getattr(instance, f).name for f in FILE_FIELDS) if name}


def unreferenced_names(names: set[str]) -> set[str]:
    """Those of ``names`` that no DicomInstance row names any more."""
    return set(names) - referenced_names(sorted(names)) if names else set()


def files_delete_unreferenced(names: set[str]) -> int:
    """Delete the stored files among ``names`` that no row references; returns how many."""
    storage = dicom_storage()
    deleted = 0
    for name in sorted(unreferenced_names(names)):
        if storage.exists(name):
            storage.delete(name)
            deleted += 1
    return deleted


@receiver(post_delete, sender=DicomInstance, dispatch_uid="dicom-files-after-delete")
def _delete_files_after_commit(sender, instance: DicomInstance, using: str, **kwargs) -> None:
    names = stored_names(instance)
    if names:
        transaction.on_commit(lambda: files_delete_unreferenced(names), using=using)
