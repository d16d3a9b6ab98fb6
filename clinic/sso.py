"""Single sign-on pages: "Sign in with <provider>", the provider's callback, and sign-out that
also ends the provider's session (RP-initiated logout). Without REGISTRY_OIDC_ISSUER the SSO
routes answer 404. Matching and its refusals: accounts.sso."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.views import View
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from accounts import sso
from accounts.oidc import (
    BACKEND,
    OIDC_SESSION,
    ProviderUnavailable,
    RegistryOIDCBackend,
    endpoint,
    mozilla_setting,
    oidc_enabled,
    provider_logout_url,
    provider_name,
)
from clinic.auth import locked_message

UNAVAILABLE = "{provider} cannot be reached just now. Try again in a few minutes."


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect("clinic:login")


class SsoLoginView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider (authorization code, PKCE S256, state and nonce kept
    in the session by mozilla-django-oidc)."""

    get_settings = staticmethod(mozilla_setting)

    def __init__(self, **kwargs) -> None:
        View.__init__(self, **kwargs)  # the endpoints are looked up per request, not here

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = endpoint("authorization_endpoint")
        except ProviderUnavailable:
            return _refused(
                request, UNAVAILABLE.format(provider=settings.REGISTRY_OIDC_PROVIDER_NAME)
            )
        self.OIDC_RP_CLIENT_ID = settings.REGISTRY_OIDC_CLIENT_ID
        return super().get(request)


class SsoCallbackView(View):
    """The provider sends the browser back here with a code: exchange it (with the PKCE
    verifier), check the ID token, match the account (accounts.sso) and sign in."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_enabled():
            raise Http404
        states = request.session.get("oidc_states") or {}
        entry = states.pop(request.GET.get("state", ""), None)
        request.session["oidc_states"] = states  # a state is used once, whatever follows
        if entry is None or "code" not in request.GET or request.GET.get("error"):
            refusal = sso.SsoRefused(sso.PROVIDER_ERROR)
            sso.sso_refusal_record(request=request, refusal=refusal)
            return _refused(request, refusal.message())
        backend = RegistryOIDCBackend()
        try:
            user = backend.authenticate(
                request, nonce=entry["nonce"], code_verifier=entry.get("code_verifier")
            )
        except sso.SsoRefused as refusal:
            if refusal.reason == sso.LOCKED:
                return _refused(request, locked_message(request, {"username": refusal.username}))
            return _refused(request, refusal.message())
        next_url = request.session.get("oidc_login_next")
        login(request, user, backend=BACKEND)
        request.session[OIDC_SESSION] = backend.session_record
        return HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


class LogoutView(auth_views.LogoutView):
    """Ends the local session; an SSO session then goes on to the provider's end_session
    endpoint (id_token_hint), which sends the browser back to the login page."""

    next_page = "clinic:login"

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        record = request.session.get(OIDC_SESSION)
        response = super().post(request, *args, **kwargs)
        if record and oidc_enabled():
            back = request.build_absolute_uri(resolve_url("clinic:login"))
            url = provider_logout_url(record=record, post_logout_redirect_uri=back)
            if url:
                # A page, not a redirect: the logout form's CSP (form-action 'self') would stop a
                # redirect to the provider; a refresh is a plain navigation.
                context = {"provider_logout_url": url, "provider": provider_name()}
                return render(request, "clinic/sso_logout.html", context)
        return response
