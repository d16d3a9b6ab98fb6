"""Single sign-on with OpenID Connect (issue 14): the provider's configuration, the
authentication backend and the server-side checks that keep an SSO session valid.

Everything comes from the environment (REGISTRY_OIDC_*, registry/settings/base.py). The endpoints
come from the issuer's discovery document (OpenID Connect Discovery 1.0), fetched once per
process with a timeout; an explicit REGISTRY_OIDC_*_ENDPOINT wins. The flow is
mozilla-django-oidc's authorization code with PKCE; ID tokens are checked against the provider's
JWKS (RS256 or ES256) and for issuer and audience. Whom an identity signs in: accounts.sso.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts import sso
from accounts.models import SignInEvent
from accounts.sign_in import sign_in_event_record

logger = logging.getLogger(__name__)

BACKEND = "accounts.oidc.RegistryOIDCBackend"
DISCOVERY_PATH = "/.well-known/openid-configuration"
# The session key holding an SSO session's tokens and next check (server-side sessions only).
OIDC_SESSION = "registry_oidc"
# Clock difference tolerated on an ID token's exp, iat and nbf.
JWT_LEEWAY_SECONDS = 60

_discovered: dict[str, dict[str, Any]] = {}
_discovery_lock = threading.Lock()


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered something unusable."""


def oidc_enabled() -> bool:
    """Single sign-on is active only when an issuer is configured."""
    return bool(settings.REGISTRY_OIDC_ISSUER)


def provider_name() -> str:
    return settings.REGISTRY_OIDC_PROVIDER_NAME


def issuer() -> str:
    return settings.REGISTRY_OIDC_ISSUER.rstrip("/")


def provider_metadata() -> dict[str, Any]:
    """The issuer's discovery document, fetched on first use and kept for the process."""
    current = issuer()
    with _discovery_lock:
        if current in _discovered:
            return _discovered[current]
        try:
            response = requests.get(
                current + DISCOVERY_PATH, timeout=settings.REGISTRY_OIDC_TIMEOUT_SECONDS
            )
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(f"discovery failed: {type(exc).__name__}") from exc
        if not isinstance(document, dict) or document.get("issuer", "").rstrip("/") != current:
            raise ProviderUnavailable("the discovery document names another issuer")
        _discovered[current] = document
        return document


def endpoint(name: str) -> str:
    """One of the provider's endpoints (``token_endpoint``, ``jwks_uri``...): the override
    from the environment, else discovery's; "" when the provider has none."""
    override = settings.REGISTRY_OIDC_ENDPOINTS.get(name, "")
    return override or provider_metadata().get(name, "")


def mozilla_setting(attr: str, *default: Any) -> Any:
    """mozilla-django-oidc's settings, read from ours at call time (so that they follow the
    environment, and tests, without a second copy in the settings)."""
    derived = {
        "OIDC_RP_SCOPES": settings.REGISTRY_OIDC_SCOPES,
        "OIDC_TIMEOUT": settings.REGISTRY_OIDC_TIMEOUT_SECONDS,
        "OIDC_USE_PKCE": True,
        "OIDC_USE_NONCE": True,
        "OIDC_CREATE_USER": False,  # accounts.sso decides, after REGISTRY_OIDC_CREATE_USERS
        "OIDC_STORE_ACCESS_TOKEN": False,  # stored by the callback, with the refresh token
        "OIDC_STORE_ID_TOKEN": False,
    }
    if attr in derived:
        return derived[attr]
    return getattr(settings, attr, *default)


class RegistryOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, configured lazily: Django instantiates every backend for
    every sign-in, password ones included, which must not wait on the provider."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = get_user_model()
        self.session_record: dict[str, Any] = {}
        self._token_info: dict[str, Any] = {}

    get_settings = staticmethod(mozilla_setting)

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return endpoint("token_endpoint")

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:
        return endpoint("userinfo_endpoint")

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return endpoint("jwks_uri")

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return settings.REGISTRY_OIDC_CLIENT_ID

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:
        return settings.REGISTRY_OIDC_CLIENT_SECRET

    @property
    def OIDC_RP_SIGN_ALGO(self) -> str:
        return settings.REGISTRY_OIDC_SIGN_ALGO

    OIDC_RP_IDP_SIGN_KEY = None  # always the provider's JWKS

    def authenticate(self, request: HttpRequest | None, **kwargs: Any):
        """Only the SSO callback (which passes the nonce) signs in here; a password sign-in
        passes this backend by. A refusal is recorded (sso_refused) and raised to the view."""
        if request is None or not oidc_enabled() or "nonce" not in kwargs:
            return None
        if "username" in kwargs or "password" in kwargs:
            return None
        try:
            user = super().authenticate(request, **kwargs)
        except sso.SsoRefused as refusal:
            sso.sso_refusal_record(request=request, refusal=refusal)
            raise
        except (
            requests.RequestException,
            SuspiciousOperation,
            ProviderUnavailable,
            jwt.InvalidTokenError,  # a malformed token header
            KeyError,  # a JWKS key or token reply without an expected member
            ValueError,  # a token reply that is not JSON
        ) as exc:
            logger.warning("Single sign-on failed: %s", type(exc).__name__)
            refusal = sso.SsoRefused(sso.PROVIDER_ERROR)
            sso.sso_refusal_record(request=request, refusal=refusal)
            raise refusal from exc
        if user is None:  # no code/state, or an ID token without a payload
            refusal = sso.SsoRefused(sso.PROVIDER_ERROR)
            sso.sso_refusal_record(request=request, refusal=refusal)
            raise refusal
        return user

    def _verify_jws(self, payload: bytes, key: Any) -> dict:
        """The library's check, with a minute of leeway for clocks (a provider a few seconds
        ahead would make every token "not yet valid") and every token error a refusal: an
        expired or not-yet-valid token raises PyJWT's own errors, not DecodeError."""
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("ID token signed with another algorithm")
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                options={"verify_aud": False},  # checked in verify_token
                leeway=JWT_LEEWAY_SECONDS,
            )
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"ID token refused: {type(error).__name__}") from error

    def get_token(self, payload: dict) -> dict:
        self._token_info = super().get_token(payload)
        return self._token_info

    def verify_token(self, token: str, **kwargs: Any) -> dict:
        """Signature, expiry and nonce (the library, _verify_jws); issuer and audience here."""
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if str(payload.get("iss", "")).rstrip("/") != issuer():
            raise SuspiciousOperation("ID token from another issuer")
        if settings.REGISTRY_OIDC_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token for another client")
        return payload

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict):
        claims = self.get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):  # OpenID Connect Core 1.0, 5.3.2
            raise SuspiciousOperation("userinfo names another subject")
        user = sso.sso_account_match(
            request=self.request, issuer=issuer(), claims={**payload, **claims}
        )
        now = time.time()
        self.session_record = {
            "subject": payload["sub"],
            "access_token": access_token,
            "refresh_token": self._token_info.get("refresh_token", ""),
            "id_token": id_token,
            "expires_at": now + float(self._token_info.get("expires_in") or 0),
            "validated_at": now,
            "next_check_at": now + settings.REGISTRY_OIDC_REVALIDATE_SECONDS,
            # Authentication Method References (RFC 8176): did the provider check a 2nd factor?
            "mfa": provider_checked_second_factor(payload.get("amr")),
        }
        return user

    def get_user(self, user_id: int):
        """Like Django's ModelBackend (the library's does not check): a disabled account's
        session ends at its next request."""
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


# --- Re-validation (accounts.sso_revalidation) -------------------------------------------------


@dataclass(frozen=True)
class Check:
    """What the provider said of an SSO session: ``ok`` (with the updated record), ``revoked``
    (it no longer confirms the person) or ``unreachable``."""

    outcome: str
    record: dict[str, Any]
    reason: str = ""


def _refreshed(record: dict[str, Any]) -> dict[str, Any] | None:
    """A refresh-token grant; None when the provider refuses it (4xx)."""
    response = requests.post(
        endpoint("token_endpoint"),
        data={
            "grant_type": "refresh_token",
            "refresh_token": record["refresh_token"],
            "client_id": settings.REGISTRY_OIDC_CLIENT_ID,
            "client_secret": settings.REGISTRY_OIDC_CLIENT_SECRET,
        },
        timeout=settings.REGISTRY_OIDC_TIMEOUT_SECONDS,
    )
    if 400 <= response.status_code < 500:
        return None
    response.raise_for_status()
    tokens = response.json()
    return {
        **record,
        "access_token": tokens["access_token"],
        "refresh_token": tokens.get("refresh_token") or record["refresh_token"],
        "id_token": tokens.get("id_token") or record["id_token"],
        "expires_at": time.time() + float(tokens.get("expires_in") or 0),
    }


def sso_session_check(record: dict[str, Any]) -> Check:
    """Ask the provider whether it still confirms the person: userinfo with the access token,
    after a refresh-token grant when the access token has expired."""
    try:
        if record["expires_at"] <= time.time() + 5:
            if not record.get("refresh_token"):
                return Check("revoked", record, "access token expired")
            refreshed = _refreshed(record)
            if refreshed is None:
                return Check("revoked", record, "refresh refused")
            record = refreshed
        response = requests.get(
            endpoint("userinfo_endpoint"),
            headers={"Authorization": f"Bearer {record['access_token']}"},
            timeout=settings.REGISTRY_OIDC_TIMEOUT_SECONDS,
        )
        if 400 <= response.status_code < 500:
            return Check("revoked", record, "userinfo refused")
        response.raise_for_status()
        if response.json().get("sub") != record["subject"]:
            return Check("revoked", record, "userinfo names another subject")
    except (requests.RequestException, ValueError, KeyError, ProviderUnavailable) as exc:
        return Check("unreachable", record, f"provider unreachable: {type(exc).__name__}")
    return Check("ok", record)


def sso_session_revalidate(*, request: HttpRequest, record: dict[str, Any]) -> Check:
    """Check a due SSO session. Fail-closed by default: an unreachable provider keeps a session
    only within REGISTRY_OIDC_REVALIDATE_GRACE_SECONDS after its check was due."""
    interval = settings.REGISTRY_OIDC_REVALIDATE_SECONDS
    check = sso_session_check(record)
    now = time.time()
    if check.outcome == "ok":
        updated = {**check.record, "validated_at": now, "next_check_at": now + interval}
        sso.sso_identity_validated(user=request.user, issuer=issuer(), subject=record["subject"])
        return Check("ok", updated)
    if check.outcome == "unreachable":
        deadline = (
            record["validated_at"] + interval + settings.REGISTRY_OIDC_REVALIDATE_GRACE_SECONDS
        )
        if now < deadline:
            return Check("ok", {**record, "next_check_at": min(now + interval, deadline)})
    sign_in_event_record(
        SignInEvent.Kind.SSO_REVOKED,
        request=request,
        user=request.user,
        method=SignInEvent.Method.SSO,
        detail=check.reason,
    )
    return Check("revoked", record, check.reason)


def provider_checked_second_factor(amr: object) -> bool:
    """The ID token's ``amr`` names a method of REGISTRY_OIDC_MFA_AMR (OpenID Connect Core 1.0,
    2; values from RFC 8176)."""
    methods = [amr] if isinstance(amr, str) else amr if isinstance(amr, list) else []
    return any(method in settings.REGISTRY_OIDC_MFA_AMR for method in methods)


def provider_logout_url(*, record: dict[str, Any], post_logout_redirect_uri: str) -> str:
    """RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at the provider's
    end_session_endpoint; "" when the provider has none or cannot be reached."""
    try:
        end_session = endpoint("end_session_endpoint")
    except ProviderUnavailable:
        return ""
    if not end_session:
        return ""
    query = urlencode(
        {
            "id_token_hint": record.get("id_token", ""),
            "post_logout_redirect_uri": post_logout_redirect_uri,
            "client_id": settings.REGISTRY_OIDC_CLIENT_ID,
        }
    )
    return f"{end_session}{'&' if '?' in end_session else '?'}{query}"
