"""ETags of stored records, for safe concurrent edits from the API and the clinic alike.

The ETag is a digest of the record's stored values (every concrete field), so any change by any
path changes it, and nothing computed "as of today" (disease duration) makes it drift. The API
sends it as ``ETag`` and checks ``If-Match`` (:mod:`api.concurrency`); the clinic's edit and
delete forms carry it in a hidden field (:mod:`clinic.views.concurrency`).
"""

from __future__ import annotations

import hashlib
import json

from django.db import models


def etag_for(instance: models.Model) -> str:
    digest = hashlib.sha256()
    digest.update(instance._meta.label.encode())
    for field in instance._meta.concrete_fields:
        digest.update(b"\x00")
        value = field.value_from_object(instance)
        digest.update(json.dumps(value, default=str, sort_keys=True).encode())
    return f'"{digest.hexdigest()[:32]}"'
