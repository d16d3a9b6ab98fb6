"""Single sign-on against a real OpenID provider on loopback (panva's oidc-provider, started
from tests/oidc_provider): matching, refusals, group mapping, the throttle, re-validation and
sign-out. The provider's sign-in and consent pages are walked with plain HTTP here; the
browser walk is tests/integration/test_sso_browser.py."""

from __future__ import annotations

import re
import time
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from axes.models import AccessAttempt

from accounts import oidc, sso, sso_revalidation
from accounts.models import Membership, SignInEvent, SsoIdentity
from accounts.services import user_add
from tests import factories
from tests.oidc_provider import ACCOUNTS, OidcProvider

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
EMAIL = "alice.martin@north.example.org"


@pytest.fixture(scope="module")
def provider_process(tmp_path_factory):
    provider = OidcProvider(tmp_path_factory.mktemp("oidc"), "http://testserver")
    provider.start(ACCOUNTS)
    yield provider
    provider.stop()


@pytest.fixture
def provider(provider_process, settings):
    """The provider with its initial accounts, and the registry configured for it."""
    provider_process.account_update("alice", **ACCOUNTS["alice"], disabled=False)
    provider_process.configure(settings)
    return provider_process


def sso_sign_in(client, provider, login: str = "alice"):
    """Click "Sign in with", sign in and consent at the provider, come back: the response."""
    start = client.get("/sso/login/")
    assert start.status_code == 302 and start["Location"].startswith(provider.issuer)
    query = parse_qs(urlsplit(start["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    back = provider.sign_in(start["Location"], login, requests.Session())
    parts = urlsplit(back)
    return client.get(f"{parts.path}?{parts.query}")


def events(kind: str) -> list[SignInEvent]:
    return list(SignInEvent.objects.filter(kind=kind))


def test_verified_email_signs_in_the_account_and_links_it_once(client, provider, center):
    """The verified e-mail (any case) finds the account; the first sign-in links the provider's
    subject (sso_linked), the second follows the link without a second event."""
    user = user_add(email=EMAIL, center=center, role="clinician", password="a-long-password-2026")
    response = sso_sign_in(client, provider)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/patients/").status_code == 200
    identity = SsoIdentity.objects.get(user=user)
    user.refresh_from_db()
    # Linked: the provider alone signs this person in (a person disabled at the hospital must
    # not keep a local password).
    assert not user.has_usable_password()
    assert (identity.issuer, identity.subject) == (provider.issuer, "alice")
    assert [e.user for e in events("sso_linked")] == [user]
    assert client.session[oidc.OIDC_SESSION]["refresh_token"]

    client.logout()
    assert sso_sign_in(client, provider)["Location"] == "/"
    assert len(events("sso_linked")) == 1
    assert not AccessAttempt.objects.filter(username__isnull=True).exists()


def test_unverified_email_is_refused(client, provider, center):
    """email_verified false: nobody is signed in, the login page says why (sso_refused)."""
    user_add(email=EMAIL, center=center, role="clinician")
    provider.account_update("alice", email_verified=False)
    response = sso_sign_in(client, provider)
    assert response["Location"] == "/login/"
    page = client.get("/login/").content.decode()
    assert "did not confirm a verified e-mail address" in page
    assert client.get("/patients/").status_code == 302
    assert [e.detail for e in events("sso_refused")] == [sso.UNVERIFIED_EMAIL]
    assert not SsoIdentity.objects.exists()


def test_unknown_email_is_refused_and_no_account_is_created(client, provider, django_user_model):
    """Without REGISTRY_OIDC_CREATE_USERS an unknown e-mail creates nothing."""
    response = sso_sign_in(client, provider)
    assert response["Location"] == "/login/"
    assert "No registry account uses the e-mail address" in client.get("/login/").content.decode()
    assert not django_user_model.objects.exists()
    refused = events("sso_refused")
    assert [(e.detail, e.username, e.method) for e in refused] == [
        (sso.UNKNOWN_ACCOUNT, EMAIL, "sso")
    ]


def test_inactive_account_is_refused(client, provider, center):
    """A disabled registry account does not sign in through the provider either."""
    user = user_add(email=EMAIL, center=center, role="clinician")
    user.is_active = False
    user.save()
    assert sso_sign_in(client, provider)["Location"] == "/login/"
    assert "This registry account is disabled" in client.get("/login/").content.decode()
    assert [e.detail for e in events("sso_refused")] == [sso.INACTIVE_ACCOUNT]


def test_created_account_has_no_center_and_sees_the_no_center_page(
    client, provider, settings, django_user_model
):
    """REGISTRY_OIDC_CREATE_USERS creates the account with no membership: a clear page."""
    settings.REGISTRY_OIDC_CREATE_USERS = True
    assert sso_sign_in(client, provider)["Location"] == "/"
    user = django_user_model.objects.get(username=EMAIL)
    assert not user.has_usable_password() and not user.memberships.exists()
    response = client.get("/patients/")
    assert response.status_code == 403
    assert "No center yet" in response.content.decode()


def test_groups_claim_grants_updates_and_removes_mapped_memberships(
    client, provider, settings, center, other_center
):
    """Memberships of mapped centers follow the claim at each sign-in (with history); other
    centers' memberships stay; nothing grants superuser."""
    settings.REGISTRY_OIDC_GROUPS_CLAIM = "groups"
    settings.REGISTRY_OIDC_GROUP_MAP = (
        "calc-north-clinicians=north:clinician,calc-north-admins=north:center_admin"
    )
    lake = factories.make_center("lake", "Lake clinic")
    user = user_add(email=EMAIL, center=other_center, role="researcher")
    provider.account_update("alice", groups=["calc-north-clinicians", "superuser", "admin"])
    sso_sign_in(client, provider)
    roles = dict(user.memberships.values_list("center__code", "role"))
    assert roles == {"north": "clinician", "south": "researcher"}

    client.logout()
    provider.account_update("alice", groups=["calc-north-clinicians", "calc-north-admins"])
    sso_sign_in(client, provider)
    assert user.memberships.get(center=center).role == "center_admin"

    client.logout()
    provider.account_update("alice", groups="calc-north-clinicians")  # one group, as a string
    sso_sign_in(client, provider)
    assert user.memberships.get(center=center).role == "clinician"

    client.logout()
    provider.account_update("alice", groups=None)  # the claim not sent: nothing changes
    sso_sign_in(client, provider)
    assert user.memberships.get(center=center).role == "clinician"

    client.logout()
    provider.account_update("alice", groups=[])
    sso_sign_in(client, provider)
    assert dict(user.memberships.values_list("center__code", "role")) == {"south": "researcher"}
    assert not user.memberships.filter(center=lake).exists()
    changes = Membership.history.filter(user=user, center=center)
    assert sorted(changes.values_list("history_type", flat=True)) == ["+", "-", "~", "~"]
    user.refresh_from_db()
    assert not user.is_superuser and not user.is_staff


def test_locked_account_stays_locked_for_single_sign_on(client, provider, center, settings):
    """Five wrong passwords lock the account from this address: SSO is refused too (one
    throttle for every path), and counts nothing itself."""
    user_add(email=EMAIL, center=center, role="clinician")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": EMAIL, "password": "wrong-password-123"})
    failures = list(AccessAttempt.objects.values_list("username", "failures_since_start"))
    assert sso_sign_in(client, provider)["Location"] == "/login/"
    assert "Too many failed sign-ins for this account" in client.get("/login/").content.decode()
    assert client.get("/patients/").status_code == 302
    assert [e.detail for e in events("sso_refused")] == [sso.LOCKED]
    assert list(AccessAttempt.objects.values_list("username", "failures_since_start")) == failures


def test_password_sign_in_still_works_with_single_sign_on_configured(client, provider, center):
    """The SSO backend passes password sign-ins by."""
    user_add(email=EMAIL, center=center, role="clinician", password="a-long-password-2026")
    response = client.post("/login/", {"username": EMAIL, "password": "a-long-password-2026"})
    assert response.status_code == 302 and response["Location"] == "/patients/"
    assert oidc.OIDC_SESSION not in client.session


def test_account_disabled_at_the_provider_loses_access_at_the_next_check(
    client, provider, center, settings
):
    """Re-validation asks userinfo; once the provider disables the account the session ends
    (sso_revoked) and the next page is the login page with a message."""
    settings.REGISTRY_OIDC_REVALIDATE_SECONDS = 0
    user = user_add(email=EMAIL, center=center, role="clinician")
    sso_sign_in(client, provider)
    assert client.get("/patients/").status_code == 200
    provider.account_update("alice", disabled=True)
    response = client.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "no longer confirms your account" in client.get("/login/").content.decode()
    assert [e.user for e in events("sso_revoked")] == [user]
    assert client.get("/patients/").status_code == 302


def test_session_authenticated_api_request_gets_a_json_401(client, provider, center, settings):
    """An API call in a revoked SSO session: 401 in the API's error shape, not a redirect."""
    settings.REGISTRY_OIDC_REVALIDATE_SECONDS = 0
    user_add(email=EMAIL, center=center, role="clinician")
    sso_sign_in(client, provider)
    assert client.get("/api/v1/patients/").status_code == 200
    provider.account_update("alice", disabled=True)
    response = client.get("/api/v1/patients/")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == sso_revalidation.REVOKED_CODE


def test_expired_access_token_is_renewed_with_the_refresh_token(client, provider, center):
    """Past its expiry the access token is refreshed at the provider (a new one is stored);
    a refused refresh ends the session."""
    user_add(email=EMAIL, center=center, role="clinician")
    sso_sign_in(client, provider)
    session = client.session
    record = {**session[oidc.OIDC_SESSION], "expires_at": time.time() - 1, "next_check_at": 0}
    session[oidc.OIDC_SESSION] = record
    session.save()
    assert client.get("/patients/").status_code == 200
    renewed = client.session[oidc.OIDC_SESSION]
    assert renewed["access_token"] != record["access_token"]
    assert renewed["expires_at"] > time.time()

    session = client.session
    session[oidc.OIDC_SESSION] = {**renewed, "expires_at": 0, "next_check_at": 0}
    session.save()
    provider.account_update("alice", disabled=True)
    assert client.get("/patients/").status_code == 302
    assert [e.detail for e in events("sso_revoked")] == ["refresh refused"]


@pytest.mark.parametrize(("grace", "kept"), [(0, False), (3600, True)])
def test_unreachable_provider_fails_closed_unless_a_grace_is_set(
    client, provider, center, settings, grace, kept
):
    """A provider that cannot be reached ends a due session (default), or keeps it within
    REGISTRY_OIDC_REVALIDATE_GRACE_SECONDS."""
    settings.REGISTRY_OIDC_REVALIDATE_SECONDS = 0
    settings.REGISTRY_OIDC_REVALIDATE_GRACE_SECONDS = grace
    user_add(email=EMAIL, center=center, role="clinician")
    sso_sign_in(client, provider)
    settings.REGISTRY_OIDC_ENDPOINTS = {"userinfo_endpoint": "http://127.0.0.1:9/userinfo"}
    assert client.get("/patients/").status_code == (200 if kept else 302)
    assert len(events("sso_revoked")) == (0 if kept else 1)


def test_sign_out_goes_on_to_the_provider_end_session_endpoint(client, provider, center):
    """RP-initiated logout: the local session ends, then the provider's, back to the login."""
    user_add(email=EMAIL, center=center, role="clinician")
    sso_sign_in(client, provider)
    id_token = client.session[oidc.OIDC_SESSION]["id_token"]
    response = client.post("/logout/")
    assert response.status_code == 200
    refresh = re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', response.content.decode())
    location = urlsplit(unescape(refresh.group(1)))
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        oidc.endpoint("end_session_endpoint")
    )
    query = parse_qs(location.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver/login/"]
    assert client.get("/patients/").status_code == 302


def test_callback_with_an_unknown_state_is_refused_without_error(client, provider):
    """A forged or replayed callback: the login page with a message, never a 500."""
    response = client.get("/sso/callback/?code=forged&state=unknown")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "could not be completed" in client.get("/login/").content.decode()
    assert [e.detail for e in events("sso_refused")] == [sso.PROVIDER_ERROR]


def test_login_page_offers_the_provider_only_when_configured(client, provider, settings):
    """The button names the provider; without an issuer it is gone and the routes are 404."""
    assert "Sign in with Test Hospital" in client.get("/login/").content.decode()
    settings.REGISTRY_OIDC_ISSUER = ""
    assert "Sign in with" not in client.get("/login/").content.decode()
    assert client.get("/sso/login/").status_code == 404
    assert client.get("/sso/callback/?code=x&state=y").status_code == 404
