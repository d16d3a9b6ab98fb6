"""The command-line tool registry_user."""

import hashlib
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts.models import ApiToken, Membership
from accounts.services import token_authenticate

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_registry_user_add_with_token(center):
    output = run(
        "registry_user",
        "add",
        "Ada@Clinic.example",
        "--center",
        "north",
        "--role",
        "clinician",
        "--token",
    )
    raw = output.split("valid 365 days): ")[1].split()[0]
    user = get_user_model().objects.get(username="ada@clinic.example")
    assert Membership.objects.get(user=user).role == "clinician"
    token = ApiToken.objects.get(user=user)
    # Stored hashed only: the clear token appears nowhere in the database row.
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in (token.digest, token.name)
    assert token_authenticate(raw).user == user
    assert token_authenticate(raw + "x") is None


def test_registry_user_revoke(center):
    output = run(
        "registry_user",
        "add",
        "r@x.example",
        "--center",
        "north",
        "--role",
        "researcher",
        "--token",
    )
    raw = output.split("valid 365 days): ")[1].split()[0]
    run("registry_user", "revoke", raw[:12])
    assert token_authenticate(raw) is None


def test_registry_user_refuses_unknown_center_and_bad_email(center):
    with pytest.raises(CommandError, match="No center 'nowhere'"):
        run("registry_user", "add", "a@b.example", "--center", "nowhere", "--role", "clinician")
    with pytest.raises(CommandError, match="not an email"):
        run("registry_user", "add", "not-an-email", "--center", "north", "--role", "clinician")
