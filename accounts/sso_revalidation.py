"""Periodic re-validation of single sign-on sessions (issue 14).

Every REGISTRY_OIDC_REVALIDATE_SECONDS an SSO session's next request first asks the provider,
server-side, whether it still confirms the person (accounts.oidc.sso_session_check). When it
does not (account disabled at the hospital, token revoked) the session ends (sso_revoked) and
the request is answered: the login page with a message, or for the API a JSON 401.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from accounts.api_requests import api_refusal, is_api
from accounts.oidc import OIDC_SESSION, oidc_enabled, sso_session_revalidate

REVOKED = (
    "Your single sign-on session has ended: {provider} no longer confirms your account. "
    "Sign in again."
)
REVOKED_CODE = "sso_revoked"


class SsoRevalidationMiddleware:
    """After the session, authentication and messages middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        record = getattr(request, "session", {}).get(OIDC_SESSION)
        if record and oidc_enabled() and request.user.is_authenticated:
            response = self._revalidate(request, record)
            if response is not None:
                return response
        return self.get_response(request)

    def _revalidate(self, request: HttpRequest, record: dict) -> HttpResponse | None:
        if time.time() < record.get("next_check_at", 0):
            return None
        check = sso_session_revalidate(request=request, record=record)
        if check.outcome == "ok":
            request.session[OIDC_SESSION] = check.record
            return None
        logout(request)
        message = REVOKED.format(provider=settings.REGISTRY_OIDC_PROVIDER_NAME)
        if is_api(request):
            return api_refusal(status=401, code=REVOKED_CODE, message=message)
        messages.warning(request, message)
        return redirect_to_login(request.get_full_path())
