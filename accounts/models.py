"""Centers (clinics/sites), the users' roles in them, and API tokens."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.restricted import RestrictedQuerySet
from registry.audit import AuditedHistory


class Center(models.Model):
    """A clinic or site contributing patients. Patients are protected: a center with patients
    cannot be deleted (nothing cascades silently from a center)."""

    code = models.SlugField(max_length=20, unique=True, help_text="Short code, e.g. PAR-01.")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(bases=[AuditedHistory])

    access_center_path = "pk"  # see accounts.access
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Membership(models.Model):
    """A user's role in one center. Clinicians read and write their centers' patients;
    researchers read every center, pseudonymized; center admins manage their center's users."""

    class Role(models.TextChoices):
        CLINICIAN = "clinician", "Clinician"
        RESEARCHER = "researcher", "Researcher"
        CENTER_ADMIN = "center_admin", "Center admin"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    # Who was given or lost access, when, by whom: part of the audit trail.
    history = HistoricalRecords(bases=[AuditedHistory])

    access_center_path = "center"  # see accounts.access
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["center__code", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "center"], name="membership_unique_user_center"
            ),
            models.CheckConstraint(
                condition=Q(role__in=["clinician", "researcher", "center_admin"]),
                name="membership_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.center.code})"


def hash_token(raw: str) -> str:
    """Tokens are stored as SHA-256 digests: a leaked database does not leak usable tokens.
    (Tokens are 256-bit random values, so a fast hash is sufficient; no salt is needed.)"""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(RestrictedQuerySet):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A bearer token for REST clients. Only the digest is kept; the token itself is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, default="")
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    access_center_path = "user__memberships__center"  # see accounts.access
    access_center_many = True

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="apitoken_expiry_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
