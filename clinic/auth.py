"""The clinic's login page and the page of a sign-in refused by the throttle (clinic and admin).

The throttle itself is in the authentication backend (accounts.login_throttle, django-axes):
this module only words its answer.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.forms.forms import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from accounts.login_throttle import ADDRESS, minutes_until_unlocked
from accounts.oidc import oidc_enabled, provider_name
from clinic.views.home import home_url

LOCKED = (
    "Too many failed sign-ins for this account from your address. Try again in {minutes} "
    "minute(s), or ask an administrator to unlock your account."
)
ADDRESS_LOCKED = "Too many failed sign-ins from your address. Try again in {minutes} minute(s)."
LOCKED_STATUS = 429


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.CharField(
        label="E-mail",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class LoginView(auth_views.LoginView):
    template_name = "clinic/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        # Each role's first page: a researcher has no patient list (issue #16).
        return home_url(self.request.user)

    def get_context_data(self, **kwargs):
        # "Sign in with <provider>" only when single sign-on is configured (accounts.oidc).
        context = super().get_context_data(**kwargs)
        context["sso_provider"] = provider_name() if oidc_enabled() else ""
        return context


def locked_message(request: HttpRequest, credentials: dict | None) -> str:
    template = ADDRESS_LOCKED if getattr(request, "login_throttle_lock", "") == ADDRESS else LOCKED
    return template.format(minutes=minutes_until_unlocked(request, credentials))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the login page that was answered (clinic or admin), its error
    replaced by the lockout message, with status 429; plain text for any other sign-in."""
    message = locked_message(request, credentials)
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form")
    if not isinstance(original_response, TemplateResponse) or form is None:
        return HttpResponse(message, status=LOCKED_STATUS, content_type="text/plain")
    form.errors[NON_FIELD_ERRORS] = form.error_class([message], error_class="nonfield")
    original_response.content = original_response.rendered_content
    original_response.status_code = LOCKED_STATUS
    return original_response
