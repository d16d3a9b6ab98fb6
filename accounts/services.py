"""Writers for users, memberships and tokens (the CLI, the admin and the API call these)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group, Permission
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, Center, Membership, hash_token

TOKEN_PREFIX = "crg_"
DEFAULT_TOKEN_DAYS = 365

# Django admin permissions per role. Researchers get no admin access: they read through the API
# and exports, pseudonymized.
_CLINICAL_MODELS = {
    "patients": ["patient", "subtypeassessment", "visit", "calcinosistreatment"],
    "imaging": [
        "radiograph",
        "radiographicfinding",
        "lesiontrack",
        "calcinosislesion",
        "dicominstance",  # the unmatched DICOM queue (rows come only from ingest)
    ],
}
ROLE_PERMISSIONS = {
    Membership.Role.CLINICIAN: {
        app: [f"{action}_{model}" for model in models for action in ("view", "add", "change")]
        for app, models in _CLINICAL_MODELS.items()
    },
    Membership.Role.CENTER_ADMIN: {
        **{
            app: [f"{action}_{model}" for model in models for action in ("view", "add", "change")]
            for app, models in _CLINICAL_MODELS.items()
        },
        "accounts": [
            "view_center",
            "view_membership",
            "add_membership",
            "change_membership",
            "delete_membership",
            "view_apitoken",
            "change_apitoken",
        ],
    },
    Membership.Role.RESEARCHER: {},
}


def role_groups_sync() -> dict[str, Group]:
    """Create or refresh one auth Group per role with the role's admin permissions."""
    groups = {}
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=f"role:{role}")
        wanted = [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codenames in perms.items()
            for codename in codenames
        ]
        group.permissions.set(wanted)
        groups[role] = group
    return groups


@transaction.atomic
def user_add(*, email: str, center: Center, role: str, password: str | None = None) -> AbstractUser:
    """Create (or extend) a user with a role in a center. Staff status gives clinicians and
    center admins the admin; what they see there is limited to their centers."""
    if role not in Membership.Role.values:
        raise ValueError(
            f"Unknown role {role!r}; choose one of {', '.join(Membership.Role.values)}."
        )
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=email.lower(), defaults={"email": email.lower()}
    )
    if password:
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    if role != Membership.Role.RESEARCHER:
        user.is_staff = True
    user.save()
    Membership.objects.update_or_create(user=user, center=center, defaults={"role": role})
    user.groups.add(role_groups_sync()[role])
    return user


def token_create(*, user: AbstractUser, name: str = "", days: int = DEFAULT_TOKEN_DAYS) -> str:
    """Create a token and return it in clear: the only time it can be read."""
    if days <= 0:
        raise ValueError("A token must be valid for at least one day.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:12],
        digest=hash_token(raw),
        expires_at=timezone.now() + timedelta(days=days),
    )
    return raw


def token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())


def token_authenticate(raw: str) -> ApiToken | None:
    """The active token for ``raw``, or None (unknown, expired or revoked)."""
    token = ApiToken.objects.active().select_related("user").filter(digest=hash_token(raw)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Write last_used_at at most once a minute: a busy client must not write on every request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
