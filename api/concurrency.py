"""ETags for safe concurrent edits.

The ETag is a digest of the record's stored values (every concrete field), so any change by any
path changes it, and nothing computed "as of today" (disease duration) makes it drift.
``If-Match`` on PUT/PATCH/DELETE must equal the current ETag or the write gets 412. A write
without ``If-Match`` is accepted (documented): clients that care send it, as the web app does.
"""

from __future__ import annotations

from django.db import models

from api.exception_handler import PreconditionFailed
from registry.etags import etag_for

__all__ = ["check_if_match", "etag_for"]


def check_if_match(request, instance: models.Model) -> None:
    header = request.headers.get("If-Match")
    if header is None:
        return
    current = etag_for(instance)
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" not in candidates and current not in candidates:
        raise PreconditionFailed()
