"""Two-factor pages: enrolment right after the password, the code at each sign-in, and one's own
two-factor page (state, new backup codes). The rules and writers are accounts.two_factor; a
session that owes a second factor reaches only enrolment, verification and sign-out
(accounts.two_factor_middleware).

New backup codes are put in the session by the page that makes them and taken out by the page
that shows them: they are shown once, and a reload does not make new ones.
"""

from __future__ import annotations

from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from accounts import two_factor
from accounts.models import SignInEvent
from accounts.two_factor import TwoFactorError
from accounts.two_factor_policy import Step

NEW_CODES = "registry_two_factor_new_backup_codes"
CODES_REPLACED = "New backup codes made: the previous ones no longer work."
ENROLLED = "Authenticator app added: it is asked for its code at each sign-in."
REFUSED_STATUS = 400
LOCKED_STATUS = 429


def _next(request: HttpRequest) -> str:
    """Where to go afterwards: ``next`` if it is a path of this site, else the patient list."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _redirect_with_next(name: str, request: HttpRequest) -> HttpResponse:
    return redirect(f"{resolve_url(name)}?{urlencode({'next': _next(request)})}")


def _qr_svg(url: str) -> str:
    """The provisioning URL as inline SVG markup (no script, no style attribute: CSP-clean)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8)
    return image.to_string(encoding="unicode")


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    if two_factor.totp_enrolled(request.user):
        messages.info(request, two_factor.ALREADY_ENROLLED)
        return redirect("clinic:two-factor")
    device = two_factor.totp_enrolment_start(user=request.user)
    error, status = "", 200
    if request.method == "POST":
        try:
            codes = two_factor.totp_enrolment_confirm(
                request=request, code=request.POST.get("code", "")
            )
        except TwoFactorError as refusal:
            error = refusal.message
            status = LOCKED_STATUS if refusal.locked else REFUSED_STATUS
        else:
            request.session[NEW_CODES] = codes
            messages.success(request, ENROLLED)
            return _redirect_with_next("clinic:two-factor-backup-codes", request)
    context = {
        "qr_svg": mark_safe(_qr_svg(device.config_url)),  # qrcode's own markup
        "secret": two_factor.totp_secret(device),
        "required": two_factor.two_factor_required_for(request.user),
        "next": _next(request),
        "error": error,
    }
    return render(request, "clinic/two_factor_enrol.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    step = two_factor.session_step(request)
    if step == Step.ENROL:
        return _redirect_with_next("clinic:two-factor-enrol", request)
    if step == Step.NONE:
        return redirect(_next(request))
    error, status = "", 200
    if request.method == "POST":
        try:
            verified = two_factor.two_factor_verify(
                request=request, code=request.POST.get("code", "")
            )
        except TwoFactorError as refusal:
            error = refusal.message
            status = LOCKED_STATUS if refusal.locked else REFUSED_STATUS
        else:
            if verified.method == SignInEvent.Method.BACKUP_CODE:
                left = two_factor.backup_codes_left(request.user)
                messages.warning(
                    request,
                    f"Backup code used: {left} left. Make new ones on your Two-factor page.",
                )
            return redirect(_next(request))
    context = {"next": _next(request), "error": error}
    return render(request, "clinic/two_factor_verify.html", context, status=status)


@login_required
def two_factor_page(request: HttpRequest) -> HttpResponse:
    context = {
        "enrolled": two_factor.totp_enrolled(request.user),
        "required": two_factor.two_factor_required_for(request.user),
        "verified": two_factor.session_verified(request),
        "backup_codes_left": two_factor.backup_codes_left(request.user),
    }
    return render(request, "clinic/two_factor.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_backup_codes(request: HttpRequest) -> HttpResponse:
    """POST: make ten new codes (the old ones die). GET: show the new codes, once."""
    if request.method == "POST":
        try:
            request.session[NEW_CODES] = two_factor.backup_codes_generate(user=request.user)
        except TwoFactorError as refusal:
            messages.error(request, refusal.message)
            return redirect("clinic:two-factor-enrol")
        messages.success(request, CODES_REPLACED)
        return redirect("clinic:two-factor-backup-codes")
    codes = request.session.pop(NEW_CODES, None)
    if not codes:
        return redirect("clinic:two-factor")
    return render(
        request, "clinic/two_factor_backup_codes.html", {"codes": codes, "next": _next(request)}
    )
