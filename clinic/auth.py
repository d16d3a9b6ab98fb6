"""Login with throttled failures: 5 wrong passwords for one account from one address lock
that pair for 15 minutes (the counter lives in the cache)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache

MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60
LOCKED = "Too many failed logins. Try again in 15 minutes."


def _key(request, username: str) -> str:
    return f"login-failures:{request.META.get('REMOTE_ADDR', '')}:{username.lower()}"


class ThrottledAuthenticationForm(AuthenticationForm):
    username = forms.CharField(
        label="E-mail",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def clean(self):
        username = self.cleaned_data.get("username", "")
        key = _key(self.request, username)
        if cache.get(key, 0) >= MAX_FAILURES:
            raise forms.ValidationError(LOCKED, code="locked")
        try:
            return super().clean()
        except forms.ValidationError:
            cache.set(key, cache.get(key, 0) + 1, LOCK_SECONDS)
            raise

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class LoginView(auth_views.LoginView):
    template_name = "clinic/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True
