"""Where de-identified DICOM files and their previews are kept: Django's storage API.

Files are content-addressed (named by the SHA-256 of their bytes), so writing the same bytes
twice is a no-op and a name never points to changed content. The storage is the STORAGES alias
named by ``REGISTRY_DICOM_STORAGE`` ("default": the media folder); an S3-compatible bucket is an
alias whose backend is django-storages' S3 storage. Only de-identified bytes come here.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages


def dicom_storage() -> Storage:
    """The storage of DICOM files and previews (a callable, so FileFields resolve the alias)."""
    return storages[settings.REGISTRY_DICOM_STORAGE]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_name(sha256: str, suffix: str) -> str:
    """``dicom/ab/cd/abcd….dcm``: two directory levels keep folders small on a file system."""
    return f"dicom/{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix}"


def store_content(data: bytes, *, suffix: str, sha256: str | None = None) -> str:
    """Write ``data`` under its content name unless it is there already; return the name."""
    storage = dicom_storage()
    name = content_name(sha256 or sha256_of(data), suffix)
    if storage.exists(name):
        return name
    return storage.save(name, ContentFile(data))
