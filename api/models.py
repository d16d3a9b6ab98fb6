"""Stored first responses of POST requests sent with an ``Idempotency-Key``."""

from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """Replaying the first response for a retried POST (same user, key and body) instead of
    creating a second record. Kept for ``REGISTRY_IDEMPOTENCY_HOURS``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
