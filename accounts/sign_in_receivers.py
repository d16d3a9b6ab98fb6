"""The sign-in audit trail fed by Django's and django-axes' signals (issue 14): every password
sign-in, failure, lockout and sign-out, whatever the page (clinic or admin) or the backend.

Connected in :meth:`accounts.apps.AccountsConfig.ready`. A failure records the username typed,
never the password (Django's signal carries it masked; it is not read).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpRequest

from accounts.models import SignInEvent, UserSession
from accounts.session_timeout import session_activity_start
from accounts.sign_in import SIGN_IN_METHOD, session_started, sign_in_event_record


def sign_in_method_of(user) -> str:
    """``sso`` for a person authenticated by an OpenID Connect backend, else ``password``."""
    backend = getattr(user, "backend", "") or ""
    return SignInEvent.Method.SSO if "oidc" in backend.lower() else SignInEvent.Method.PASSWORD


def on_logged_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    method = sign_in_method_of(user)
    request.session[SIGN_IN_METHOD] = method
    session_activity_start(request)
    session_started(request, user, method)
    sign_in_event_record(SignInEvent.Kind.SIGNED_IN, request=request, user=user, method=method)


def on_login_failed(sender, credentials: dict, request: HttpRequest | None = None, **kwargs):
    """A password sign-in refused (wrong password, or the throttle's lock). Other backends'
    failures carry no username (single sign-on records its own refusals): not recorded here."""
    username = credentials.get(get_user_model().USERNAME_FIELD)
    if not isinstance(username, str) or not username.strip():
        return
    user = (
        get_user_model()
        ._default_manager.filter(**{get_user_model().USERNAME_FIELD: username.strip().lower()})
        .first()
    )
    sign_in_event_record(
        SignInEvent.Kind.FAILED,
        request=request,
        user=user,
        username=username,
        method=SignInEvent.Method.PASSWORD,
    )


def on_locked_out(sender, request: HttpRequest, username: str | None, **kwargs) -> None:
    user = (
        get_user_model()
        ._default_manager.filter(**{get_user_model().USERNAME_FIELD: username})
        .first()
        if username
        else None
    )
    sign_in_event_record(
        SignInEvent.Kind.LOCKED_OUT,
        request=request,
        user=user,
        username=username or "",
        method=SignInEvent.Method.PASSWORD,
        detail=getattr(request, "login_throttle_lock", "") or "",
    )


def on_logged_out(sender, request: HttpRequest | None, user, **kwargs) -> None:
    if user is None or not getattr(user, "pk", None):
        return
    method = ""
    if request is not None and hasattr(request, "session"):
        method = request.session.get(SIGN_IN_METHOD, "")
        if request.session.session_key:
            UserSession.objects.filter(session_key=request.session.session_key).delete()
    sign_in_event_record(SignInEvent.Kind.SIGNED_OUT, request=request, user=user, method=method)
