"""Sessions in a real browser (issue 14): Debian's Chromium driven by Playwright against a live
server on loopback. A lockout by wrong passwords, its unlock by a superuser in the admin, and
the idle timeout with a short setting: the notice, "Stay signed in", and the login page when the
time is up (the page's own polling does not keep the session alive)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from accounts.models import SignInEvent
from accounts.services import user_add
from accounts.session_timeout import IDLE_EXPIRED
from clinic.auth import LOCKED
from tests.factories import PASSWORD
from tests.integration.test_browser import browser  # noqa: F401 (the Chromium fixture)

EMAIL = "doc@north.example"
ROOT = "root@registry.example"

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clinician(center):
    return user_add(email=EMAIL, center=center, role="clinician", password=PASSWORD)


def login_page(chromium, base: str, email: str, password: str, path: str = "/login/"):
    page = chromium.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page.goto(f"{base}{path}")
    fill_login(page, email, password)
    return page


def fill_login(page, email: str, password: str) -> None:
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("form [type=submit]").first.click()
    page.wait_for_load_state()


def test_lockout_then_unlock_by_an_admin_then_sign_in(
    browser, live_server, clinician, settings  # noqa: F811 (the fixture)
):
    """Five wrong passwords lock the account (the right one is refused with the lockout
    message); a superuser unlocks it in the admin; the right password then signs in."""
    base = live_server.url
    get_user_model().objects.create_superuser(ROOT, ROOT, PASSWORD)
    page = browser.new_page()
    page.goto(f"{base}/login/")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fill_login(page, EMAIL, "not-the-password")
    fill_login(page, EMAIL, PASSWORD)
    assert LOCKED.format(minutes=15) in page.content()
    assert page.url.startswith(f"{base}/login/")

    admin = login_page(browser, base, ROOT, PASSWORD, "/admin/login/")
    admin.goto(f"{base}/admin/auth/user/?q=doc%40north")
    admin.locator("input[name=_selected_action]").first.check()
    admin.locator("select[name=action]").select_option("unlock_sign_in")
    admin.locator("button[name=index]").click()
    admin.wait_for_load_state()
    assert "Unlocked 1 account(s)" in admin.content()

    fill_login(page, EMAIL, PASSWORD)
    page.wait_for_url(f"{base}/patients/")
    kinds = set(SignInEvent.objects.filter(user=clinician).values_list("kind", flat=True))
    assert {"failed", "locked_out", "unlocked", "signed_in"} <= kinds
    unlocked = SignInEvent.objects.get(kind="unlocked")
    assert unlocked.actor.username == ROOT and unlocked.address == "127.0.0.1"
    page.close()
    admin.close()


def test_idle_notice_stay_signed_in_and_expiry(
    browser, live_server, clinician, settings  # noqa: F811 (the fixture)
):
    """Idle limit 10 s, notice 4 s before: the notice shows, "Stay signed in" keeps the session
    past the first limit, then with no activity the page goes to the login page, which says
    why; session_expired recorded once."""
    settings.REGISTRY_SESSION_IDLE_SECONDS = 10
    settings.REGISTRY_SESSION_WARNING_SECONDS = 4
    base = live_server.url
    page = login_page(browser, base, EMAIL, PASSWORD)
    page.wait_for_url(f"{base}/patients/")
    notice = page.locator("#session-notice")
    notice.wait_for(state="visible", timeout=12_000)
    assert "signed out in" in notice.inner_text()
    page.get_by_role("button", name="Stay signed in").click()
    notice.wait_for(state="hidden", timeout=5_000)
    page.wait_for_timeout(5_500)  # past the first limit (10 s after the last page load)
    assert page.url == f"{base}/patients/"
    assert not SignInEvent.objects.filter(kind="session_expired").exists()
    notice.wait_for(state="visible", timeout=12_000)
    page.wait_for_url(f"{base}/login/?next=%2Fpatients%2F", timeout=20_000)
    assert IDLE_EXPIRED.format(duration="10 second(s)") in page.content()
    assert SignInEvent.objects.filter(kind="session_expired", user=clinician).count() == 1
    page.close()
