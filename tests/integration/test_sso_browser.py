"""Single sign-on in a real browser (Debian's Chromium, Playwright) against a real OpenID provider
on loopback (panva's oidc-provider, tests/oidc_provider): sign in and consent at the provider,
land on the patient list; sign out of both; an account disabled at the provider loses access."""

from __future__ import annotations

import time

import pytest

from accounts.models import SignInEvent
from accounts.services import user_add
from tests import factories
from tests.integration.test_browser import browser, shot  # noqa: F401 (the browser fixture)
from tests.oidc_provider import ACCOUNTS, OidcProvider

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
EMAIL = "alice.martin@north.example.org"


@pytest.fixture
def provider(live_server, settings, tmp_path):
    provider = OidcProvider(tmp_path, live_server.url)
    provider.start(ACCOUNTS)
    provider.configure(settings)
    yield provider
    provider.stop()


@pytest.fixture
def alice(center):
    factories.make_patient(center, local_id="SSO-0001")
    return user_add(email=EMAIL, center=center, role="clinician")


def sign_in_at_provider(page, base: str) -> None:
    """From the registry's login page through the provider's sign-in and consent."""
    page.goto(f"{base}/login/")
    page.get_by_role("link", name="Sign in with Test Hospital").click()
    page.get_by_placeholder("Enter any login").fill("alice")
    page.get_by_placeholder("and password").fill("any-password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/patients/")


def test_sign_in_and_out_through_the_provider(browser, live_server, provider, alice):  # noqa: F811
    """Sign in lands on the patient list; sign-out ends the registry's and the provider's
    sessions, so a second "Sign in with" asks for the login again."""
    base = live_server.url
    page = browser.new_page(locale="en-GB")
    sign_in_at_provider(page, base)
    assert "SSO-0001" in page.content()
    shot(page, "sso-01-patient-list")

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{base}/login/")
    page.goto(f"{base}/patients/")
    assert page.url.startswith(f"{base}/login/")

    page.get_by_role("link", name="Sign in with Test Hospital").click()
    assert page.get_by_placeholder("Enter any login").is_visible()
    kinds = set(SignInEvent.objects.values_list("kind", flat=True))
    assert "sso_linked" in kinds
    page.close()


def test_account_disabled_at_the_provider_loses_access(
    browser,  # noqa: F811
    live_server,
    provider,
    alice,
    settings,
):
    """Within the re-validation interval after the provider disables the account, the next
    page is the registry's login page, with a message."""
    settings.REGISTRY_OIDC_REVALIDATE_SECONDS = 1
    base = live_server.url
    page = browser.new_page(locale="en-GB")
    sign_in_at_provider(page, base)
    provider.account_update("alice", disabled=True)
    time.sleep(1.1)  # the interval itself: the next request is due for a check
    page.goto(f"{base}/patients/")
    assert page.url.startswith(f"{base}/login/")
    assert "no longer confirms your account" in page.inner_text(".messages")
    shot(page, "sso-02-revoked")
    assert SignInEvent.objects.filter(kind="sso_revoked", user=alice).exists()
    page.close()
