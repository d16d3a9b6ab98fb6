"""Every path that sets a password runs AUTH_PASSWORD_VALIDATORS (12+ characters)."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from accounts.management.commands.registry_user import PASSWORD_REFUSED
from accounts.services import user_add, user_password_set
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
