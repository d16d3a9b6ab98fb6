"""Resetting a second factor: who may (center admins their members, superusers anyone), what it
does (devices gone, audited with the actor, signed out everywhere, API tokens kept), from the
admin and the command line."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.models import Membership, SignInEvent, UserSession
from accounts.services import token_create, user_add
from accounts.two_factor import RESET_NOT_YOURS, RESET_SUPERUSER, two_factor_reset
from tests.accounts.two_factor_helpers import enrol

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_policy(settings):
    """The administrators acting here are not asked for a second factor themselves."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "off"


@pytest.fixture
def people(center, other_center):
    return {
        "admin_a": user_add(email="admin@a.example.org", center=center, role="center_admin"),
        "member_a": user_add(email="doc@a.example.org", center=center, role="clinician"),
        "member_b": user_add(email="doc@b.example.org", center=other_center, role="clinician"),
        "root": get_user_model().objects.create_superuser("root@example.org", "root@example.org"),
    }


def signed_in_browser(user) -> Client:
    """A browser session of ``user``, known to sessions_end."""
    browser = Client()
    browser.force_login(user)
    UserSession.objects.update_or_create(
        session_key=browser.session.session_key, defaults={"user": user}
    )
    return browser


def has_devices(user) -> bool:
    return (
        TOTPDevice.objects.filter(user=user).exists()
        or StaticDevice.objects.filter(user=user).exists()
    )


def test_a_center_admin_resets_a_member_from_the_membership_admin(people):
    """Devices deleted, the reset recorded with its actor, the member signed out everywhere,
    their API token still working."""
    member = people["member_a"]
    enrol(member)
    raw = token_create(user=member)
    browser = signed_in_browser(member)
    admin = Client()
    admin.force_login(people["admin_a"])
    membership = Membership.objects.get(user=member)
    response = admin.post(
        "/admin/accounts/membership/",
        {"action": "reset_member_two_factor", "_selected_action": [membership.pk]},
    )
    assert response.status_code == 302
    assert not has_devices(member)
    event = SignInEvent.objects.get(kind="two_factor_reset")
    assert (event.user, event.actor, event.method) == (member, people["admin_a"], "admin")
    assert browser.get("/patients/")["Location"].startswith("/login/")  # signed out
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/patients/").status_code == 200


def test_a_center_admin_cannot_reset_a_member_of_another_center_only(people, other_center):
    """B's membership is not among A's admin's rows: nothing happens; the service refuses too;
    the user admin (superusers only) answers 403."""
    target = people["member_b"]
    enrol(target)
    admin = Client()
    admin.force_login(people["admin_a"])
    membership = Membership.objects.get(user=target)
    admin.post(
        "/admin/accounts/membership/",
        {"action": "reset_member_two_factor", "_selected_action": [membership.pk]},
    )
    assert has_devices(target)
    users = admin.post(
        "/admin/auth/user/", {"action": "reset_two_factor", "_selected_action": [target.pk]}
    )
    assert users.status_code == 403
    with pytest.raises(PermissionDenied, match=re.escape(RESET_NOT_YOURS)):
        two_factor_reset(user=target, actor=people["admin_a"])
    assert has_devices(target)
    assert not SignInEvent.objects.filter(kind="two_factor_reset").exists()


def test_a_center_admin_cannot_reset_a_superuser_member(people, center):
    """A superuser who is also a member of A keeps their second factor."""
    root = people["root"]
    Membership.objects.create(user=root, center=center, role="clinician")
    enrol(root)
    with pytest.raises(PermissionDenied, match=re.escape(RESET_SUPERUSER)):
        two_factor_reset(user=root, actor=people["admin_a"])
    assert has_devices(root)


def test_a_superuser_resets_anyone_from_the_user_admin(people):
    """The user admin's action, on a member of B."""
    target = people["member_b"]
    enrol(target)
    root = Client()
    root.force_login(people["root"])
    response = root.post(
        "/admin/auth/user/", {"action": "reset_two_factor", "_selected_action": [target.pk]}
    )
    assert response.status_code == 302
    assert not has_devices(target)
    assert SignInEvent.objects.get(kind="two_factor_reset").actor == people["root"]


def test_the_command_line_resets_and_says_so(people):
    """registry_user reset-two-factor EMAIL: recorded as the command line's, no actor."""
    member = people["member_a"]
    enrol(member)
    out = StringIO()
    call_command("registry_user", "reset-two-factor", "DOC@a.example.org", stdout=out)
    assert "second factor reset (2 device(s) deleted)" in out.getvalue()
    assert not has_devices(member)
    event = SignInEvent.objects.get(kind="two_factor_reset")
    assert (event.actor, event.detail) == (None, "command line")
    with pytest.raises(CommandError, match=re.escape("No user nobody@example.org.")):
        call_command("registry_user", "reset-two-factor", "nobody@example.org")


def test_after_a_reset_the_person_enrols_again(people, settings):
    """Required by the policy: the next sign-in goes to enrolment, not verification."""
    settings.REGISTRY_TWO_FACTOR_POLICY = "all"
    member = people["member_a"]
    enrol(member)
    two_factor_reset(user=member, actor=people["root"])
    browser = Client()
    browser.force_login(member)
    assert browser.get("/patients/")["Location"].startswith("/two-factor/enrol/")
