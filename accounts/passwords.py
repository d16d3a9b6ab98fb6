"""What follows a password change or reset, and the throttle of reset requests (issue 14).

A new password ends every other browser session of its owner (``sessions_end``), on top of
Django's session hash, which already refuses a session signed in with the old one at its next
request: the sessions are gone from the store, not only refused. The person who changed their own
password keeps the session they did it in.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Min
from django.http import HttpRequest
from django.utils import timezone

from accounts.login_throttle import client_address
from accounts.models import SignInEvent
from accounts.sign_in import SIGN_IN_METHOD, session_started, sessions_end, sign_in_event_record

RESET_THROTTLED = (
    "Too many password reset requests from your address. Try again in {minutes} minute(s)."
)


@transaction.atomic
def password_set_sessions_end(
    *,
    request: HttpRequest,
    user: AbstractBaseUser,
    kind: str,
    actor: AbstractBaseUser | None = None,
) -> int:
    """After ``user``'s password was saved (``kind``: password_changed or password_reset):
    the event, and every session of ``user`` ended but the caller's own when it is theirs
    (Django gave it a new key: it is registered again under that key). Returns how many ended."""
    own = getattr(request.user, "pk", None) == user.pk and request.user.is_authenticated
    keep = request.session.session_key if own else None
    ended = sessions_end(user, keep=keep)
    method = request.session.get(SIGN_IN_METHOD, "") if own else ""
    if own:
        session_started(request, user, method)
    sign_in_event_record(
        kind,
        request=request,
        user=user,
        method=SignInEvent.Method.ADMIN if actor is not None and not own else method,
        actor=None if own else actor,
        detail=f"{ended} other session(s) ended",
    )
    return ended


def password_reset_wait_minutes(request: HttpRequest) -> int:
    """0 if the client's address may ask for another reset link, else the whole minutes until
    it may: at most REGISTRY_PASSWORD_RESET_LIMIT requests per address within the window,
    counted in the audit trail (shared by every web process)."""
    window = timedelta(minutes=settings.REGISTRY_PASSWORD_RESET_WINDOW_MINUTES)
    recent = SignInEvent.objects.filter(
        kind=SignInEvent.Kind.PASSWORD_RESET_REQUESTED,
        address=client_address(request),
        at__gte=timezone.now() - window,
    )
    if recent.count() < settings.REGISTRY_PASSWORD_RESET_LIMIT:
        return 0
    oldest = recent.aggregate(oldest=Min("at"))["oldest"]
    remaining = oldest + window - timezone.now()
    return max(1, math.ceil(remaining.total_seconds() / 60))


def password_reset_request_record(*, request: HttpRequest, email: str) -> None:
    """The request, with the account it names if one exists: the audit trail (center admins and
    superusers) may know; the person asking is told the same either way."""
    email = email.strip().lower()
    user = get_user_model()._default_manager.filter(email__iexact=email).first()
    sign_in_event_record(
        SignInEvent.Kind.PASSWORD_RESET_REQUESTED, request=request, user=user, username=email
    )
