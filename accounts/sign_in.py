"""The sign-in audit trail and a person's browser sessions (issue 14).

Every sign-in path (password, second factor, single sign-on, password reset, administrators'
resets and unlocks) records what happened through ``sign_in_event_record``, and ends a person's
sessions through ``sessions_end``: one place for each, whatever the path.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest

from accounts.login_throttle import client_address
from accounts.models import SignInEvent, UserSession

# Session keys: how this session was signed in, and when (for the absolute lifetime).
SIGN_IN_METHOD = "registry_sign_in_method"
SIGNED_IN_AT = "registry_signed_in_at"


def sign_in_event_record(
    kind: str,
    *,
    request: HttpRequest | None = None,
    user: AbstractBaseUser | None = None,
    username: str = "",
    method: str = "",
    actor: AbstractBaseUser | None = None,
    detail: str = "",
) -> SignInEvent:
    """Append one event. The address is the client's as the throttle sees it (trusted proxies
    only); ``username`` defaults to the account's, lower case."""
    if user is not None and not getattr(user, "pk", None):
        user = None
    if not username and user is not None:
        username = user.get_username()
    return SignInEvent.objects.create(
        kind=kind,
        method=method,
        user=user,
        username=(username or "").strip().lower()[:254],
        address=client_address(request) if request is not None else None,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        detail=detail[:200],
    )


def session_started(request: HttpRequest, user: AbstractBaseUser, method: str) -> None:
    """Remember this browser session as the user's (call after ``login()``, which has given
    the session its final key)."""
    if request.session.session_key is None:
        request.session.save()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key, defaults={"user": user, "method": method}
    )


def sessions_end(user: AbstractBaseUser, *, keep: str | None = None) -> int:
    """End every browser session of ``user`` (but ``keep``, the caller's own, if given), in
    whichever session engine is configured. Returns how many were ended."""
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    for record in UserSession.objects.filter(user=user).exclude(session_key=keep or ""):
        store_class(session_key=record.session_key).delete()
        record.delete()
        ended += 1
    return ended
