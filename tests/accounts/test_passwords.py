"""Every path that sets a password runs AUTH_PASSWORD_VALIDATORS (12+ characters, not common,
not like the e-mail), and a new password ends the person's other sessions."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from accounts.management.commands.registry_user import PASSWORD_REFUSED
from accounts.models import SignInEvent, UserSession
from accounts.services import token_create, user_add, user_password_set
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_finding12_registry_user_add_refuses_a_short_password(center):
    """`registry_user add ... --password a` names the rule and creates nothing."""
    with pytest.raises(CommandError) as refused:
        call_command(
            "registry_user", "add", "doc@north.example", "--center", center.code,
            "--role", "clinician", "--password", "a",
        )  # fmt: skip
    assert str(refused.value).startswith(PASSWORD_REFUSED)
    assert "at least 12 characters" in str(refused.value)
    assert not get_user_model().objects.filter(username="doc@north.example").exists()


def test_registry_user_add_accepts_a_valid_password(center):
    call_command(
        "registry_user", "add", "doc@north.example", "--center", center.code,
        "--role", "clinician", "--password", PASSWORD, stdout=StringIO(),
    )  # fmt: skip
    assert get_user_model().objects.get(username="doc@north.example").check_password(PASSWORD)


def test_a_new_password_for_an_existing_user_is_validated_too(center):
    user = user_add(email="doc@north.example", center=center, role="clinician", password=PASSWORD)
    with pytest.raises(ValidationError, match="too common"):
        user_add(
            email="doc@north.example", center=center, role="clinician", password="password1234"
        )
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_password_like_the_email_is_refused(center):
    user = get_user_model()(
        username="jdoe.northclinic@north.example", email="jdoe.northclinic@north.example"
    )
    with pytest.raises(ValidationError, match="too similar"):
        user_password_set(user=user, password="jdoe.northclinic")


def test_demo_seed_passwords_pass_the_validators(db):
    """`make run` prints demo logins that the validators accept, the superuser's included."""
    out = StringIO()
    call_command("seed_demo", "--patients", "0", "--no-progression", stdout=out, stderr=StringIO())
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("demo-admin-2026")
    assert "password demo-admin-2026" in out.getvalue()


# --- every path that sets a password (issue 14) -------------------------------------------------

EMAIL = "jdoe.northclinic@north.example"
ROOT = "root@registry.example"
NEW_PASSWORD = "another-synthetic-2027"


@pytest.fixture
def clinician(center):
    return user_add(email=EMAIL, center=center, role="clinician", password=PASSWORD)


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser(ROOT, ROOT, PASSWORD)


def browser(username: str, password: str = PASSWORD, path: str = "/login/") -> Client:
    client = Client()
    response = client.post(path, {"username": username, "password": password})
    assert response.status_code == 302, response.content
    return client


def change(client: Client, new: str, old: str = PASSWORD):
    return client.post(
        "/password/", {"old_password": old, "new_password1": new, "new_password2": new}
    )


def test_clinic_change_refuses_a_short_password(clinician):
    """Change password page: 11 characters are refused, naming the rule; nothing changes."""
    response = change(browser(EMAIL), "short-pw-11")
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    clinician.refresh_from_db()
    assert clinician.check_password(PASSWORD)


def test_clinic_change_refuses_a_password_like_the_email(clinician):
    """username == e-mail: a password made of the e-mail's local part is "too similar"."""
    response = change(browser(EMAIL), "jdoe.northclinic")
    assert "too similar" in response.content.decode()
    clinician.refresh_from_db()
    assert clinician.check_password(PASSWORD)


def test_clinic_change_keeps_this_session_and_ends_every_other(clinician):
    """After a change: this browser stays signed in; another browser is signed out and its
    session is gone from the store; password_changed recorded."""
    here, elsewhere = browser(EMAIL), browser(EMAIL)
    other_key = elsewhere.session.session_key
    response = change(here, NEW_PASSWORD)
    assert response.status_code == 302
    assert here.get("/patients/").status_code == 200
    assert elsewhere.get("/patients/").status_code == 302
    assert not SessionStore().exists(other_key)
    assert UserSession.objects.filter(user=clinician).count() == 1
    assert UserSession.objects.get(user=clinician).session_key == here.session.session_key
    event = SignInEvent.objects.get(kind="password_changed")
    assert event.user == clinician and event.actor is None


def test_the_session_hash_alone_signs_out_a_session_after_a_password_change(clinician):
    """Without the registry's own ending of sessions (a password set by any other path),
    Django's session hash still refuses a session signed in with the old password."""
    elsewhere = browser(EMAIL)
    user_password_set(user=clinician, password=NEW_PASSWORD)
    clinician.save()
    assert elsewhere.get("/patients/").status_code == 302


def test_admin_add_user_refuses_a_short_password(root):
    """The admin's "Add user" form: a short password is refused, no account is made."""
    client = browser(ROOT, path="/admin/login/")
    response = client.post(
        "/admin/auth/user/add/",
        {
            "username": "new@north.example",
            "usable_password": "true",
            "password1": "short-pw-11",
            "password2": "short-pw-11",
        },
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    assert not get_user_model().objects.filter(username="new@north.example").exists()


def test_admin_password_page_refuses_a_common_password_and_ends_sessions(root, clinician):
    """The user admin's password page: a common password refused; a good one set, the
    person's sessions ended, password_changed recorded with the superuser as actor."""
    admin_client = browser(ROOT, path="/admin/login/")
    theirs = browser(EMAIL)
    url = f"/admin/auth/user/{clinician.pk}/password/"
    weak = admin_client.post(url, {"password1": "password1234", "password2": "password1234"})
    assert "too common" in weak.content.decode()
    good = admin_client.post(
        url, {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert good.status_code == 302
    clinician.refresh_from_db()
    assert clinician.check_password(NEW_PASSWORD)
    assert theirs.get("/patients/").status_code == 302
    assert not UserSession.objects.filter(user=clinician).exists()
    event = SignInEvent.objects.get(kind="password_changed")
    assert (event.user, event.actor, event.method) == (clinician, root, "admin")


def test_admin_user_change_page_does_not_set_a_password(root, clinician):
    """The user change form shows the hash read-only: a posted "password" is not stored."""
    client = browser(ROOT, path="/admin/login/")
    client.post(
        f"/admin/auth/user/{clinician.pk}/change/",
        {"username": EMAIL, "password": "a", "is_active": "on", "date_joined_0": "2026-01-01",
         "date_joined_1": "00:00:00"},
    )  # fmt: skip
    clinician.refresh_from_db()
    assert clinician.check_password(PASSWORD)


def test_admin_own_password_change_is_validated_and_ends_other_sessions(root):
    """/admin/password_change/: the validators, then one's other sessions ended."""
    here, elsewhere = browser(ROOT, path="/admin/login/"), browser(ROOT, path="/admin/login/")
    url = "/admin/password_change/"
    weak = here.post(url, {"old_password": PASSWORD, "new_password1": "a", "new_password2": "a"})
    assert "at least 12 characters" in weak.content.decode()
    ok = here.post(
        url,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert ok.status_code == 302
    assert here.get("/admin/").status_code == 200
    assert elsewhere.get("/admin/").status_code == 302
    assert SignInEvent.objects.filter(kind="password_changed", user=root).count() == 1


def test_createsuperuser_noinput_validates_the_password(db, monkeypatch):
    """`createsuperuser --noinput` with DJANGO_SUPERUSER_PASSWORD: Django does not validate it;
    the registry's guard does, and no account is made."""
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "short")
    with pytest.raises(CommandError, match="at least 12 characters"):
        call_command(
            "createsuperuser", "--noinput", "--username", "boss@registry.example",
            "--email", "boss@registry.example", stdout=StringIO(),
        )  # fmt: skip
    assert not get_user_model().objects.filter(username="boss@registry.example").exists()
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", NEW_PASSWORD)
    call_command(
        "createsuperuser", "--noinput", "--username", "boss@registry.example",
        "--email", "boss@registry.example", stdout=StringIO(),
    )  # fmt: skip
    assert (
        get_user_model().objects.get(username="boss@registry.example").check_password(NEW_PASSWORD)
    )


def test_no_api_path_sets_a_password(center):
    """The API never takes a password: a membership POST naming one is a 400 naming it."""
    admin = user_add(email="admin@north.example", center=center, role="center_admin")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=admin)}")
    response = api.post(
        "/api/v1/memberships/",
        {"email": "new@north.example", "center": center.code, "role": "clinician",
         "password": "weak"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "password" in response.content.decode()
    assert (
        not get_user_model()
        .objects.filter(username="new@north.example", password__startswith="md5")
        .exists()
    )
