"""Writers for users, memberships and tokens (the CLI, the admin and the API call these)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, Center, Membership, hash_token

TOKEN_PREFIX = "crg_"
DEFAULT_TOKEN_DAYS = 365


@transaction.atomic
def user_add(*, email: str, center: Center, role: str, password: str | None = None) -> AbstractUser:
    """Create (or extend) a user with a role in a center. Who reaches the admin follows from
    the role (:mod:`registry.admin_site`), not from staff status or model permissions."""
    if role not in Membership.Role.values:
        raise ValueError(
            f"Unknown role {role!r}; choose one of {', '.join(Membership.Role.values)}."
        )
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=email.lower(), defaults={"email": email.lower()}
    )
    if password:
        user_password_set(user=user, password=password)
    elif created:
        user.set_unusable_password()
    user.save()
    Membership.objects.update_or_create(user=user, center=center, defaults={"role": role})
    return user


def user_password_set(*, user: AbstractUser, password: str) -> None:
    """Set a password after AUTH_PASSWORD_VALIDATORS (12+ characters, not common, not like the
    e-mail): every path that sets one comes here. Raises ValidationError naming the rules
    broken; the caller saves the user."""
    validate_password(password, user)
    user.set_password(password)


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
