"""``Idempotency-Key`` for POST: a retried request (same user, key and body) gets the first
response back instead of creating a second record.

The key is claimed inside the request's transaction by a unique row, so two concurrent requests
with the same key cannot both create: the second waits on the unique index, then replays.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.response import Response

from api.models import IdempotencyRecord

KEY_REUSED = "This Idempotency-Key was used for a different request."
KEY_TOO_LONG = "An Idempotency-Key has at most 255 characters."
REPLAY_HEADER = "Idempotent-Replayed"


class KeyReused(exceptions.APIException):
    status_code = 422
    default_detail = KEY_REUSED
    default_code = "idempotency_key_reused"


def _digest(request) -> str:
    """A digest of the request as parsed (the raw stream may already be consumed, e.g. by the
    CSRF check of a session-authenticated request): JSON canonically, forms and files by value."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    data = request.data
    if hasattr(data, "lists"):  # form or multipart
        for key, values in sorted(data.lists()):
            digest.update(json.dumps([key, values], default=str).encode())
        for key, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(key.encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(json.dumps(data, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, digest: str) -> Response:
    if record.request_digest != digest:
        raise KeyReused()
    response = Response(record.response_body, status=record.status_code)
    response[REPLAY_HEADER] = "true"
    return response


def idempotent(request, handler: Callable[[], Response]) -> Response:
    """Run ``handler`` once per (user, Idempotency-Key); without a key, just run it."""
    key = request.headers.get("Idempotency-Key")
    if key is None or not request.user.is_authenticated:
        return handler()
    if not key or len(key) > 255:
        raise exceptions.ValidationError({"Idempotency-Key": [KEY_TOO_LONG]})
    digest = _digest(request)
    horizon = timezone.now() - timedelta(hours=settings.REGISTRY_IDEMPOTENCY_HOURS)
    IdempotencyRecord.objects.filter(user=request.user, key=key, created_at__lt=horizon).delete()
    existing = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
    if existing is not None:
        return _replay(existing, digest)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user=request.user,
                key=key,
                method=request.method,
                path=request.path[:500],
                request_digest=digest,
            )
            response = handler()
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)  # errors are not stored: fix and retry
                return response
            record.status_code = response.status_code
            record.response_body = response.data
            record.save(update_fields=["status_code", "response_body"])
            return response
    except IntegrityError:
        # Another request with this key committed first (we waited on the unique index).
        existing = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
        if existing is None or existing.status_code is None:
            raise
        return _replay(existing, digest)
