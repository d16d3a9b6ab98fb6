"""What is left of an erased patient: one tombstone, holding no identifying value."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ErasureTombstone(models.Model):
    """The record that a patient was erased (GDPR Art. 17) and by whom, why, and how much went.

    ``registry_id_digest`` is HMAC-SHA256 of the registry id under ``REGISTRY_ERASURE_KEY``
    (:mod:`erasure.keys`): whoever holds a registry id and the key can check that it was erased,
    nobody can read an id back from it. ``counts`` holds per kind (``patients.visit``,
    ``dicom_files``, ``history_rows`` ...) how many rows or files were removed: numbers only.
    The center is kept so that its admins can see their own erasures; it identifies nobody.
    """

    registry_id_digest = models.CharField(max_length=64, unique=True)
    center = models.ForeignKey(
        "accounts.Center", on_delete=models.PROTECT, related_name="erasure_tombstones"
    )
    erased_at = models.DateTimeField(auto_now_add=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who, as text: the account may be removed later, the record of who erased must not.
    erased_by_label = models.CharField(max_length=254)
    reason = models.CharField(max_length=500)
    counts = models.JSONField(default=dict)

    access_center_path = "center"  # see accounts.access

    class Meta:
        ordering = ["-erased_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""), name="erasure_tombstone_reason_required"
            ),
            models.CheckConstraint(
                condition=~Q(registry_id_digest=""), name="erasure_tombstone_digest_required"
            ),
        ]

    def __str__(self) -> str:
        return f"erasure {self.pk} ({self.erased_at:%Y-%m-%d})"
