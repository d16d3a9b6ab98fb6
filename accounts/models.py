"""Centers (clinics/sites), the users' roles in them, API tokens, sign-in events and sessions."""

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
    two_factor_required = models.BooleanField(
        default=False,
        db_default=False,  # rows written by raw SQL (benchmark cohorts) get it too
        help_text="Members must sign in with a second factor (REGISTRY_TWO_FACTOR_POLICY=center).",
    )
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


class SignInEvent(models.Model):
    """One event of the sign-in audit trail (issue 14): who, when, from which address.

    Append-only. ``user`` is empty for a failure naming no existing account; ``actor`` is the
    administrator who reset or unlocked someone else."""

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", "Signed in"
        FAILED = "failed", "Sign-in failed"
        LOCKED_OUT = "locked_out", "Locked out"
        UNLOCKED = "unlocked", "Unlocked"
        SIGNED_OUT = "signed_out", "Signed out"
        SESSION_EXPIRED = "session_expired", "Session expired"
        TWO_FACTOR_ENROLLED = "two_factor_enrolled", "Second factor enrolled"
        TWO_FACTOR_VERIFIED = "two_factor_verified", "Second factor verified"
        TWO_FACTOR_FAILED = "two_factor_failed", "Second factor refused"
        BACKUP_CODE_USED = "backup_code_used", "Backup code used"
        TWO_FACTOR_RESET = "two_factor_reset", "Second factor reset"
        SSO_LINKED = "sso_linked", "Single sign-on linked"
        SSO_REFUSED = "sso_refused", "Single sign-on refused"
        SSO_REVOKED = "sso_revoked", "Single sign-on access ended by the provider"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Password reset requested"
        PASSWORD_RESET = "password_reset", "Password reset"

    class Method(models.TextChoices):
        PASSWORD = "password", "Password"
        SSO = "sso", "Single sign-on"
        TOTP = "totp", "Authenticator app"
        BACKUP_CODE = "backup_code", "Backup code"
        ADMIN = "admin", "Administrator"
        NONE = "", "—"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    method = models.CharField(max_length=20, choices=Method.choices, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sign_in_events",
    )
    # What was typed or asserted (e-mail, lower case), kept when no account matched.
    username = models.CharField(max_length=254, blank=True, default="")
    address = models.GenericIPAddressField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The administrator who acted on the account, if not its owner.",
    )
    detail = models.CharField(max_length=200, blank=True, default="")

    access_center_path = "user__memberships__center"  # see accounts.access
    access_center_many = True
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "-at"], name="signinevent_user_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "signed_in",
                        "failed",
                        "locked_out",
                        "unlocked",
                        "signed_out",
                        "session_expired",
                        "two_factor_enrolled",
                        "two_factor_verified",
                        "two_factor_failed",
                        "backup_code_used",
                        "two_factor_reset",
                        "sso_linked",
                        "sso_refused",
                        "sso_revoked",
                        "password_changed",
                        "password_reset_requested",
                        "password_reset",
                    ]
                ),
                name="signinevent_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} — {self.user or self.username} at {self.at:%Y-%m-%d %H:%M}"
        )


class UserSession(models.Model):
    """A signed-in browser session of a user, so that a password change or a second-factor
    reset can end every session of that person (Django's sessions are not indexed by user)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="browser_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    method = models.CharField(
        max_length=20, choices=SignInEvent.Method.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d %H:%M})"


class SsoIdentity(models.Model):
    """The link between an account and a person at the OpenID provider (issue 14): the
    provider's ``sub`` claim for that issuer (OpenID Connect Core 1.0, section 2). Made at the
    first single sign-on matched by verified e-mail; later sign-ins follow the link."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    linked_at = models.DateTimeField(default=timezone.now)
    last_validated_at = models.DateTimeField(null=True, blank=True)

    access_center_path = "user__memberships__center"  # see accounts.access
    access_center_many = True
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-linked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="ssoidentity_unique_issuer_subject"
            ),
            # One identity per account at a provider: a second one is refused, not re-linked.
            models.UniqueConstraint(fields=["user", "issuer"], name="ssoidentity_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.issuer}"
