"""The sign-in throttle (django-axes, accounts.login_throttle) through the clinic and admin login
pages: one count for both, per account and client address, the address-wide limit, the trusted
proxy setting, the cool-off, unlocking, and what reaches the logs."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.admin import AdminSite
from django.contrib.auth import get_user_model
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory

from accounts.login_throttle_admin import LoginAttemptAdmin, unlock_sign_in
from accounts.services import user_add
from clinic.auth import ADDRESS_LOCKED, LOCKED
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

EMAIL = "doc@north.example"
ROOT = "root@registry.example"


@pytest.fixture
def clinician(center):
    return user_add(email=EMAIL, center=center, role="clinician", password=PASSWORD)


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(ROOT, ROOT, PASSWORD)


def sign_in(client: Client, username: str, password: str, path: str = "/login/", **meta):
    return client.post(path, {"username": username, "password": password}, **meta)


def fail(client: Client, username: str, times: int, path: str = "/login/", **meta) -> None:
    for _ in range(times):
        assert sign_in(client, username, "not-the-password", path, **meta).status_code in (200, 429)


def test_finding4_admin_login_is_throttled(client, superuser):
    """50 wrong passwords on /admin/login/, then the right one: refused, no session."""
    fail(client, ROOT, 50, "/admin/login/")
    response = sign_in(client, ROOT, PASSWORD, "/admin/login/")
    assert response.status_code == 429
    assert LOCKED.format(minutes=15) in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username=ROOT).failures_since_start == 5


def test_finding4_clinic_and_admin_logins_share_one_count(client, superuser):
    """Three wrong on the admin and two on the clinic lock both pages."""
    fail(client, ROOT, 3, "/admin/login/")
    fail(client, ROOT, 2, "/login/")
    assert sign_in(client, ROOT, PASSWORD, "/login/").status_code == 429
    assert sign_in(client, ROOT, PASSWORD, "/admin/login/").status_code == 429


def test_a_success_resets_the_count(client, clinician):
    """Four typing errors then the right password: the next mistakes start from zero."""
    fail(client, EMAIL, 4)
    assert sign_in(client, EMAIL, PASSWORD).status_code == 302
    client.logout()
    fail(client, EMAIL, 4)
    assert sign_in(client, EMAIL, PASSWORD).status_code == 302


def test_case_variants_of_the_email_share_one_count(client, superuser):
    for variant in (
        "ROOT@registry.example",
        " Root@Registry.example",
        ROOT,
        "rOOt@registry.example",
    ):
        sign_in(client, variant, "not-the-password", "/admin/login/")
    sign_in(client, ROOT, "not-the-password", "/admin/login/")
    assert sign_in(client, ROOT, PASSWORD, "/admin/login/").status_code == 429


def test_the_lock_ends_after_the_cool_off(client, clinician):
    fail(client, EMAIL, 5)
    assert sign_in(client, EMAIL, PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    assert sign_in(client, EMAIL, PASSWORD).status_code == 302


def test_finding6_stranger_behind_the_proxy_cannot_lock_out_a_clinician(settings, clinician):
    """Through one trusted proxy, 20 wrong passwords from address X do not stop the clinician
    signing in from address Y, though both arrive from the proxy's own address."""
    settings.REGISTRY_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    fail(Client(), EMAIL, 20, HTTP_X_FORWARDED_FOR="203.0.113.66", **proxy)
    stranger = sign_in(Client(), EMAIL, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.66", **proxy)
    assert stranger.status_code == 429
    clinician_there = sign_in(
        Client(), EMAIL, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy
    )
    assert clinician_there.status_code == 302


def test_finding6_only_the_proxy_entry_of_the_header_is_trusted(settings, clinician):
    """Entries the client wrote left of the proxy's own are not the client's address."""
    settings.REGISTRY_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for forged in range(20):
        sign_in(
            Client(), EMAIL, "not-the-password",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{forged}, 203.0.113.66", **proxy,
        )  # fmt: skip
    locked = sign_in(Client(), EMAIL, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.66", **proxy)
    assert locked.status_code == 429


def test_finding6_without_a_trusted_proxy_the_header_is_ignored(settings, clinician):
    """With no proxy configured a client cannot pick its address: the header changes nothing."""
    settings.REGISTRY_TRUSTED_PROXY_COUNT = 0
    fail(Client(), EMAIL, 20, REMOTE_ADDR="203.0.113.66", HTTP_X_FORWARDED_FOR="192.0.2.1")
    spoofing = sign_in(
        Client(), EMAIL, PASSWORD, REMOTE_ADDR="203.0.113.66", HTTP_X_FORWARDED_FOR="192.0.2.2"
    )
    assert spoofing.status_code == 429
    assert sign_in(Client(), EMAIL, PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.66"}


def test_password_spraying_locks_the_address_not_the_accounts(settings, clinician):
    """Wrong passwords for many accounts from one address reach the address-wide limit; the
    same accounts still sign in from elsewhere."""
    settings.REGISTRY_LOGIN_ADDRESS_FAILURE_LIMIT = 8
    sprayer = {"REMOTE_ADDR": "203.0.113.66"}
    for n in range(8):
        sign_in(Client(), f"user{n}@north.example", "Summer2026!", **sprayer)
    refused = sign_in(Client(), EMAIL, PASSWORD, **sprayer)
    assert refused.status_code == 429
    assert ADDRESS_LOCKED.format(minutes=15) in refused.content.decode()
    assert sign_in(Client(), EMAIL, PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 302


def test_lockouts_are_audited_and_logged_without_email_or_password(client, clinician, caplog):
    fail(client, EMAIL, 5)
    sign_in(client, EMAIL, PASSWORD)
    assert AccessFailureLog.objects.filter(username=EMAIL, locked_out=True).exists()
    assert f"Sign-in locked (account limit) for user id {clinician.pk}" in caplog.text
    assert EMAIL not in caplog.text
    assert "not-the-password" not in caplog.text and PASSWORD not in caplog.text


def test_registry_user_unlock(client, clinician):
    fail(client, EMAIL, 5)
    call_command("registry_user", "unlock", EMAIL.upper())
    assert sign_in(client, EMAIL, PASSWORD).status_code == 302
    with pytest.raises(CommandError, match="No user"):
        call_command("registry_user", "unlock", "nobody@north.example")


def _admin_request(user):
    request = RequestFactory().post("/admin/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_admin_actions_unlock(client, clinician, superuser):
    """The user admin's action and the failure records' action both end a lockout."""
    fail(client, EMAIL, 5)
    model_admin = LoginAttemptAdmin(AccessAttempt, AdminSite())
    unlock_sign_in(
        model_admin, _admin_request(superuser), get_user_model().objects.filter(pk=clinician.pk)
    )
    assert sign_in(client, EMAIL, PASSWORD).status_code == 302
    client.logout()
    fail(client, EMAIL, 5)
    model_admin.unlock(_admin_request(superuser), AccessAttempt.objects.filter(username=EMAIL))
    assert sign_in(client, EMAIL, PASSWORD).status_code == 302
    assert not model_admin.has_view_permission(_admin_request(clinician))
