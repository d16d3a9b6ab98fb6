"""Whom a single sign-on signs in (issue 14, docs/security.md "Single sign-on").

A provider's identity signs in the account it was linked to, or, the first time, the active
account whose username is its verified e-mail (lower case); it is then linked (sso_linked).
No account is created unless REGISTRY_OIDC_CREATE_USERS, and then with no center. A locked
account stays locked (accounts.login_throttle). With REGISTRY_OIDC_GROUPS_CLAIM, the memberships
of the centers named in REGISTRY_OIDC_GROUP_MAP follow the claim at each sign-in; nothing here
ever grants superuser or staff status.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.login_throttle import login_locked
from accounts.models import Center, Membership, SignInEvent, SsoIdentity
from accounts.sign_in import sign_in_event_record
from accounts.sso_groups import group_map_parse, memberships_from_groups

# Reasons (the sso_refused event's detail) and what the person reads on the login page.
UNVERIFIED_EMAIL = "unverified_email"
UNKNOWN_ACCOUNT = "unknown_account"
INACTIVE_ACCOUNT = "inactive_account"
LINKED_ELSEWHERE = "linked_elsewhere"
LOCKED = "locked"
PROVIDER_ERROR = "provider_error"
MESSAGES = {
    UNVERIFIED_EMAIL: (
        "{provider} did not confirm a verified e-mail address for you, so the registry cannot "
        "tell which account is yours. Ask your IT service to verify your address."
    ),
    UNKNOWN_ACCOUNT: (
        "No registry account uses the e-mail address {provider} gave. Ask your center's "
        "administrator to create your account, then sign in again."
    ),
    INACTIVE_ACCOUNT: "This registry account is disabled. Ask your center's administrator.",
    LINKED_ELSEWHERE: (
        "This registry account is already linked to another {provider} identity. Ask your "
        "center's administrator."
    ),
    LOCKED: "Too many failed sign-ins for this account from your address. Try again later.",
    PROVIDER_ERROR: "The sign-in with {provider} could not be completed. Please try again.",
}


class SsoRefused(Exception):
    """A single sign-on that signs nobody in, with its reason."""

    def __init__(self, reason: str, *, user: AbstractBaseUser | None = None, username: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.user = user
        self.username = username or (user.get_username() if user is not None else "")

    def message(self) -> str:
        return MESSAGES[self.reason].format(provider=settings.REGISTRY_OIDC_PROVIDER_NAME)


def sso_refusal_record(*, request: HttpRequest, refusal: SsoRefused) -> None:
    sign_in_event_record(
        SignInEvent.Kind.SSO_REFUSED,
        request=request,
        user=refusal.user,
        username=refusal.username,
        method=SignInEvent.Method.SSO,
        detail=refusal.reason,
    )


@transaction.atomic
def sso_account_match(
    *, request: HttpRequest, issuer: str, claims: dict[str, Any]
) -> AbstractBaseUser:
    """The account these verified claims sign in, linked and with its memberships synced from
    the groups claim; raises SsoRefused (and writes nothing) otherwise."""
    subject = str(claims.get("sub") or "")
    email = str(claims.get("email") or "").strip().lower()
    if claims.get("email_verified") is not True or not email or not subject:
        raise SsoRefused(UNVERIFIED_EMAIL, username=email)
    identity = (
        SsoIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    )
    user_model = get_user_model()
    user = identity.user if identity else user_model.objects.filter(username=email).first()
    if user is None:
        if not settings.REGISTRY_OIDC_CREATE_USERS:
            raise SsoRefused(UNKNOWN_ACCOUNT, username=email)
        user, created = user_model.objects.get_or_create(username=email, defaults={"email": email})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
    if not user.is_active:
        raise SsoRefused(INACTIVE_ACCOUNT, user=user)
    if login_locked(request, user.get_username()):
        raise SsoRefused(LOCKED, user=user)
    if identity is None:
        if SsoIdentity.objects.filter(user=user, issuer=issuer).exists():
            raise SsoRefused(LINKED_ELSEWHERE, user=user)
        identity = SsoIdentity.objects.create(user=user, issuer=issuer, subject=subject)
        # From now on the provider alone signs this person in: with a local password left, a
        # person disabled at the hospital could still sign in here (and reset it by e-mail).
        user.set_unusable_password()
        user.save(update_fields=["password"])
        sign_in_event_record(
            SignInEvent.Kind.SSO_LINKED, request=request, user=user, method=SignInEvent.Method.SSO
        )
    SsoIdentity.objects.filter(pk=identity.pk).update(last_validated_at=timezone.now())
    groups = claims.get(settings.REGISTRY_OIDC_GROUPS_CLAIM or "\0")
    if isinstance(groups, str):  # a provider may send a single group as a string
        groups = [groups]
    # An absent claim says nothing (scope not granted, provider hiccup): memberships stay.
    if settings.REGISTRY_OIDC_GROUPS_CLAIM and isinstance(groups, list):
        sso_memberships_sync(user=user, groups=[g for g in groups if isinstance(g, str)])
    return user


def group_map() -> dict[str, tuple[str, str]]:
    try:
        return group_map_parse(settings.REGISTRY_OIDC_GROUP_MAP)
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from exc


@transaction.atomic
def sso_memberships_sync(*, user: AbstractBaseUser, groups: list[str]) -> None:
    """The memberships of the centers the group map names follow ``groups``: granted, role
    changed, or removed when no group grants them any more. Memberships in other centers (given
    by an administrator) are left alone. Every change is in the memberships' history."""
    mapping = group_map()
    granted = memberships_from_groups(groups, mapping)
    managed = {code for code, _role in mapping.values()}
    centers = {center.code: center for center in Center.objects.filter(code__in=managed)}
    held = {m.center.code: m for m in user.memberships.select_related("center")}
    for code in managed & set(held):
        membership = held[code]
        if code not in granted:
            membership.delete()
        elif membership.role != granted[code]:
            membership.role = granted[code]
            membership.save(update_fields=["role"])
    for code, role in granted.items():
        if code not in held and code in centers:
            Membership.objects.create(user=user, center=centers[code], role=role)


def sso_identity_validated(*, user: AbstractBaseUser, issuer: str, subject: str) -> None:
    """The provider confirmed the person again (re-validation)."""
    SsoIdentity.objects.filter(user=user, issuer=issuer, subject=subject).update(
        last_validated_at=timezone.now()
    )
