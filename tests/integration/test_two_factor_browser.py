"""Two-factor authentication in Debian's Chromium: enrolment from the QR code page (the key read
from the page, codes computed with pyotp as an authenticator app would), sign-out, a TOTP
sign-in, and a backup code accepted once and refused the second time."""

from __future__ import annotations

import pytest

from accounts.services import user_add
from tests.accounts.two_factor_helpers import totp_code
from tests.factories import PASSWORD
from tests.integration.test_browser import browser  # noqa: F401 (the Chromium fixture)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

EMAIL = "admin@demo-north.example.org"


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def sign_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")


def test_enrol_sign_in_with_totp_and_a_backup_code_once(browser, live_server, settings):  # noqa: F811
    """A center admin under the default policy: password -> QR code page -> first code ->
    backup codes -> patients; then password -> TOTP; then password -> backup code (once)."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "admins"
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    from tests.factories import make_center

    user_add(email=EMAIL, center=make_center("demo-north"), role="center_admin", password=PASSWORD)
    base = live_server.url
    page = browser.new_page(locale="en-GB")

    sign_in(page, base)
    page.wait_for_url("**/two-factor/enrol/**")
    assert page.locator(".qr svg").count() == 1
    secret = page.inner_text("#totp-secret")
    page.get_by_label("Code from the app").fill(totp_code(secret))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/two-factor/backup-codes/**")
    codes = page.locator(".backup-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(f"{base}/patients/")
    sign_out(page)

    sign_in(page, base)
    page.wait_for_url("**/two-factor/verify/**")
    page.get_by_label("Code").fill(totp_code(secret, steps_ahead=1))  # the enrolment's was used
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{base}/patients/")
    sign_out(page)

    sign_in(page, base)
    page.wait_for_url("**/two-factor/verify/**")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{base}/patients/")
    assert "Backup code used: 9 left" in page.inner_text(".messages")
    sign_out(page)

    sign_in(page, base)
    page.wait_for_url("**/two-factor/verify/**")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    assert "That code is not right" in page.inner_text("[role=alert]")
    assert "/two-factor/verify/" in page.url
    page.close()
