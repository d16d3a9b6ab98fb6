"""The sign-in audit trail (accounts.sign_in_receivers): every sign-in, failure, lockout, unlock
and sign-out through the clinic and admin login pages, with the client's address."""

from io import StringIO

import pytest
from django.contrib.admin import AdminSite
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.management import call_command
from django.test import Client, RequestFactory

from accounts.login_throttle_admin import unlock_sign_in
from accounts.models import SignInEvent, UserSession
from accounts.services import user_add
from accounts.sign_in import SIGN_IN_METHOD, SIGNED_IN_AT
from accounts.sign_in_receivers import sign_in_method_of
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

EMAIL = "doc@north.example"
ROOT = "root@registry.example"


@pytest.fixture
def clinician(center):
    return user_add(email=EMAIL, center=center, role="clinician", password=PASSWORD)


def sign_in(client: Client, username: str, password: str, path: str = "/login/", **meta):
    return client.post(path, {"username": username, "password": password}, **meta)


def kinds() -> list[str]:
    return list(SignInEvent.objects.order_by("pk").values_list("kind", flat=True))


def test_a_sign_in_is_recorded_with_method_address_and_session(client, clinician):
    """Clinic sign-in: signed_in (password, the address), the session's method and start, and
    the session remembered as the person's."""
    assert sign_in(client, EMAIL, PASSWORD, REMOTE_ADDR="192.0.2.7").status_code == 302
    event = SignInEvent.objects.get()
    assert (event.kind, event.method, event.user, event.address) == (
        "signed_in",
        "password",
        clinician,
        "192.0.2.7",
    )
    assert client.session[SIGN_IN_METHOD] == "password"
    assert client.session[SIGNED_IN_AT] > 0
    assert UserSession.objects.get(user=clinician).session_key == client.session.session_key


def test_a_failure_records_the_username_typed_and_never_the_password(client, clinician):
    """A wrong password: failed, with the account and the typed e-mail; the password is nowhere."""
    sign_in(client, " Doc@North.example", "wrong-password-typed", REMOTE_ADDR="192.0.2.8")
    event = SignInEvent.objects.get()
    assert (event.kind, event.user, event.username, event.address) == (
        "failed",
        clinician,
        EMAIL,
        "192.0.2.8",
    )
    row = " ".join(str(value) for value in SignInEvent.objects.values_list().get())
    assert "wrong-password-typed" not in row


def test_a_failure_for_an_unknown_account_keeps_what_was_typed(client, db):
    """No such account: failed, no user, the typed e-mail kept."""
    sign_in(client, "nobody@north.example", "whatever-it-is-1")
    event = SignInEvent.objects.get()
    assert (event.kind, event.user, event.username) == ("failed", None, "nobody@north.example")


def test_the_address_is_the_trusted_proxy_entry(client, clinician, settings):
    """Behind one trusted proxy, the address is the proxy's entry, not what the client wrote."""
    settings.REGISTRY_TRUSTED_PROXY_COUNT = 1
    sign_in(
        client,
        EMAIL,
        PASSWORD,
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4",
    )
    assert SignInEvent.objects.get().address == "198.51.100.4"


def test_a_lockout_is_recorded(client, clinician, settings):
    """The fifth wrong password locks: failed x5 and locked_out; a refused sixth adds both."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, EMAIL, "not-the-password")
    assert kinds().count("failed") == 5
    assert kinds().count("locked_out") == 1
    assert sign_in(client, EMAIL, PASSWORD).status_code == 429
    locked = SignInEvent.objects.filter(kind="locked_out")
    assert locked.count() == 2 and {event.user for event in locked} == {clinician}
    assert not SignInEvent.objects.filter(kind="signed_in").exists()


def test_sign_out_is_recorded_and_forgets_the_session(client, clinician):
    """Log out: signed_out, and the session is no longer the person's."""
    sign_in(client, EMAIL, PASSWORD)
    client.post("/logout/")
    assert kinds() == ["signed_in", "signed_out"]
    assert not UserSession.objects.filter(user=clinician).exists()


def test_the_admin_login_is_recorded_too(client, db):
    """The admin's login page goes through the same signals."""
    get_user_model().objects.create_superuser(ROOT, ROOT, PASSWORD)
    assert sign_in(client, ROOT, PASSWORD, "/admin/login/").status_code == 302
    assert kinds() == ["signed_in"]


def test_an_unlock_in_the_admin_is_recorded_with_its_actor(clinician, db):
    """The user admin's "Unlock sign-in": unlocked, by the superuser who did it."""
    root = get_user_model().objects.create_superuser(ROOT, ROOT, PASSWORD)
    for _ in range(5):
        sign_in(Client(), EMAIL, "not-the-password")
    request = RequestFactory().post("/admin/auth/user/", REMOTE_ADDR="192.0.2.99")
    request.user = root
    request.session = {}
    request._messages = FallbackStorage(request)
    from accounts.admin import RegistryUserAdmin

    modeladmin = RegistryUserAdmin(get_user_model(), AdminSite())
    unlock_sign_in(modeladmin, request, get_user_model().objects.filter(pk=clinician.pk))
    event = SignInEvent.objects.get(kind="unlocked")
    assert (event.user, event.actor, event.method, event.address) == (
        clinician,
        root,
        "admin",
        "192.0.2.99",
    )
    assert sign_in(Client(), EMAIL, PASSWORD).status_code == 302


def test_an_unlock_from_the_command_line_is_recorded(clinician):
    """`registry_user unlock`: unlocked, no actor, said to come from the command line."""
    call_command("registry_user", "unlock", EMAIL, stdout=StringIO())
    event = SignInEvent.objects.get(kind="unlocked")
    assert event.user == clinician and event.actor is None
    assert event.detail.startswith("command line")


def test_the_method_follows_the_authenticating_backend(clinician):
    """An OpenID Connect backend signs in by single sign-on; Django's or axes' by password."""
    clinician.backend = "accounts.oidc.RegistryOIDCBackend"
    assert sign_in_method_of(clinician) == "sso"
    clinician.backend = "django.contrib.auth.backends.ModelBackend"
    assert sign_in_method_of(clinician) == "password"


def test_a_failure_naming_no_username_is_not_a_password_failure(db):
    """A backend's failure without a username (single sign-on records its own): nothing here."""
    user_login_failed.send(sender=None, credentials={"code": "********"}, request=None)
    assert not SignInEvent.objects.exists()
