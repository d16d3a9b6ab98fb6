"""A signed-in session that owes a second factor can do nothing else first (issue 14).

For a browser session whose person must enrol or verify (``accounts.two_factor.session_step``),
every page but the enrolment, verification and sign-out pages redirects to enrolment or
verification, keeping where the person was going in ``?next=`` (a path of this site). This
covers the clinic and the Django admin alike: after the admin's password form, the person lands
on the verification (or enrolment) page. Session requests to ``/api/`` answer 403 in the API's
error shape. Requests carrying an API token (``Authorization: Bearer``) are the token's, not the
session's: they pass untouched, whatever the session owes.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse

from accounts.api_requests import api_refusal, is_api, is_token_request
from accounts.two_factor import session_step
from accounts.two_factor_policy import Step, policy_checked

ENROL_URL = "clinic:two-factor-enrol"
VERIFY_URL = "clinic:two-factor-verify"
# Views a session owing a second factor may reach (URL names, namespaced).
OPEN_URL_NAMES = frozenset({ENROL_URL, VERIFY_URL, "clinic:logout", "admin:logout", "health"})
API_REFUSED = (
    "This session has not passed the second factor: sign in again in the browser (enrol or "
    "type your code), or use an API token."
)
API_REFUSED_CODE = "two_factor_required"


class TwoFactorMiddleware:
    """After django-otp's OTPMiddleware, which tells whether the session's device verified it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        try:  # a misspelt policy stops the server at start, not at the first sign-in
            policy_checked(settings.REGISTRY_TWO_FACTOR_POLICY)
        except ValueError as error:
            raise ImproperlyConfigured(str(error)) from error

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_token_request(request) or not request.user.is_authenticated or _open(request):
            return self.get_response(request)
        step = session_step(request)
        if step == Step.NONE:
            return self.get_response(request)
        if is_api(request):
            return api_refusal(status=403, code=API_REFUSED_CODE, message=API_REFUSED)
        target = reverse(ENROL_URL if step == Step.ENROL else VERIFY_URL)
        return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")


def _open(request: HttpRequest) -> bool:
    if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return True
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.view_name in OPEN_URL_NAMES
