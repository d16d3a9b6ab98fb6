"""One's own password and session: "Change password", the reset by e-mail (Django's token
flow), and the two small endpoints of the page's idle notice.

The rules live in accounts: what a new password ends (``accounts.passwords``), when a session
ends (``accounts.session_timeout``). The reset pages never tell whether an address has an
account: the same page follows every request, and the per-address throttle answers the same
whatever the address typed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import SignInEvent
from accounts.passwords import (
    RESET_THROTTLED,
    password_reset_request_record,
    password_reset_wait_minutes,
    password_set_sessions_end,
)
from accounts.session_timeout import passive, session_seconds_left

PASSWORD_CHANGED = "Your password was changed. Your other sessions were signed out."
SIGNED_OUT = "Not signed in."
THROTTLED_STATUS = 429


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view (old password, new one twice, the validators; the session's hash follows the
    new password), then every other session of the person ended."""

    template_name = "clinic/password_change.html"
    success_url = reverse_lazy("clinic:password-change")

    def form_valid(self, form):
        response = super().form_valid(form)
        password_set_sessions_end(
            request=self.request, user=form.user, kind=SignInEvent.Kind.PASSWORD_CHANGED
        )
        messages.success(self.request, PASSWORD_CHANGED)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """The e-mail form; the same "sent" page whether or not an account has that address."""

    template_name = "clinic/password_reset.html"
    email_template_name = "clinic/password_reset_email.txt"
    subject_template_name = "clinic/password_reset_subject.txt"
    success_url = reverse_lazy("clinic:password-reset-sent")

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        minutes = password_reset_wait_minutes(request)
        if minutes:
            form = self.get_form()
            form.is_valid()
            form.add_error(None, RESET_THROTTLED.format(minutes=minutes))
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = THROTTLED_STATUS
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        password_reset_request_record(request=self.request, email=form.cleaned_data["email"])
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "clinic/password_reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link's page: a new password (the validators), then every session of the person
    ended; they sign in with the new one."""

    template_name = "clinic/password_reset_confirm.html"
    success_url = reverse_lazy("clinic:password-reset-complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        password_set_sessions_end(
            request=self.request, user=form.user, kind=SignInEvent.Kind.PASSWORD_RESET
        )
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "clinic/password_reset_complete.html"


def _session_state(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return JsonResponse(
            {"signed_in": False, "detail": SIGNED_OUT, "login_url": resolve_url("clinic:login")},
            status=401,
        )
    return JsonResponse({"signed_in": True, "seconds_left": session_seconds_left(request)})


@passive
@require_GET
def session_status(request: HttpRequest) -> JsonResponse:
    """Seconds left before the session ends; asking is not activity (the page polls it)."""
    return _session_state(request)


@require_POST
def session_keepalive(request: HttpRequest) -> JsonResponse:
    """The "Stay signed in" button: this request is activity, so the idle time starts again."""
    return _session_state(request)
