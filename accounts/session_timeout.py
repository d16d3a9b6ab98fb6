"""The idle timeout and the absolute lifetime of signed-in browser sessions (issue 14).

Every request of a session-authenticated person (clinic, admin, the API through the session)
passes here. A session past its limit (:mod:`accounts.session_policy`) is flushed before the
view runs and ``session_expired`` recorded: the view then sees an anonymous person, so the clinic
and the admin send them to their login page (with a message saying why) and the API answers 401
in its own error shape. Requests with an API token are the token's and pass untouched.

A request counts as activity unless its view is marked :func:`passive` (the page's background
check of the time left), so polling cannot keep a session alive on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse

from accounts.api_requests import is_api, is_token_request
from accounts.models import SignInEvent, UserSession
from accounts.session_policy import (
    IDLE,
    SessionLimits,
    activity_resolution,
    seconds_left,
    session_end_reason,
)
from accounts.sign_in import SIGN_IN_METHOD, SIGNED_IN_AT, sign_in_event_record

# Session key: when this session last did something (seconds since the epoch).
LAST_ACTIVITY = "registry_last_activity"
IDLE_EXPIRED = "You were signed out after {duration} without activity. Sign in again."
LIFETIME_EXPIRED = "Your session reached its limit of {duration}. Sign in again."


def session_limits() -> SessionLimits:
    """The limits in force (settings REGISTRY_SESSION_IDLE_SECONDS and _MAX_SECONDS)."""
    return SessionLimits(
        idle_seconds=settings.REGISTRY_SESSION_IDLE_SECONDS,
        max_seconds=settings.REGISTRY_SESSION_MAX_SECONDS,
    )


def passive(view: Callable) -> Callable:
    """Mark a view whose requests are not the person's activity (background checks)."""
    view.session_passive = True
    return view


def session_activity_start(request: HttpRequest, *, now: float | None = None) -> None:
    """At sign-in: the lifetime and the idle time both count from now."""
    now = time.time() if now is None else now
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_ACTIVITY] = now


def session_seconds_left(request: HttpRequest) -> int:
    """Seconds until this session ends, by whichever limit comes first."""
    now = time.time()
    return seconds_left(
        now=now,
        signed_in_at=request.session.get(SIGNED_IN_AT, now),
        last_activity=request.session.get(LAST_ACTIVITY, now),
        limits=session_limits(),
    )


def duration_text(seconds: int) -> str:
    """The largest whole unit: "12 hour(s)", "30 minute(s)" or "45 second(s)"."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}(s)"
    return f"{seconds} second(s)"


def expired_message(reason: str, limits: SessionLimits) -> str:
    if reason == IDLE:
        return IDLE_EXPIRED.format(duration=duration_text(limits.idle_seconds))
    return LIFETIME_EXPIRED.format(duration=duration_text(limits.max_seconds))


def _session_request(request: HttpRequest) -> bool:
    """A request that acts through a signed-in browser session (not an API token)."""
    return not is_token_request(request) and SESSION_KEY in request.session


class SessionTimeoutMiddleware:
    """After the authentication middleware, before the two-factor one (an expired session owes
    nothing): ends a session past its limits before the view, and records the activity of the
    requests that are some."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _session_request(request):
            self._end_if_due(request)
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        expired = getattr(request, "session_expired_message", None)
        if expired:  # the message middleware, after this one, has made its storage by now
            messages.info(request, expired, fail_silently=True)
        if getattr(view_func, "session_passive", False) or not _session_request(request):
            return
        if not request.user.is_authenticated:
            return
        now = time.time()
        last = request.session.get(LAST_ACTIVITY)
        if last is None or now - last >= activity_resolution(session_limits()):
            request.session[LAST_ACTIVITY] = now

    def _end_if_due(self, request: HttpRequest) -> None:
        now = time.time()
        session = request.session
        if SIGNED_IN_AT not in session:
            # A session from before the limits existed: they count from its next request.
            session[SIGNED_IN_AT] = session.get(LAST_ACTIVITY, now)
        limits = session_limits()
        reason = session_end_reason(
            now=now,
            signed_in_at=session[SIGNED_IN_AT],
            last_activity=session.get(LAST_ACTIVITY, now),
            limits=limits,
        )
        if reason is None:
            return
        user = request.user
        if user.is_authenticated:
            sign_in_event_record(
                SignInEvent.Kind.SESSION_EXPIRED,
                request=request,
                user=user,
                method=session.get(SIGN_IN_METHOD, ""),
                detail=reason,
            )
        if session.session_key:
            UserSession.objects.filter(session_key=session.session_key).delete()
        session.flush()
        request.user = AnonymousUser()
        if not is_api(request):
            request.session_expired_message = expired_message(reason, limits)
