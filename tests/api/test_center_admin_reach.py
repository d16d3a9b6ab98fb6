"""Finding 7 (medium): center admins reach too far.

``POST /memberships/ {"email": <a user of another center>, "center": <mine>}`` answered 201, after
which that user's tokens appeared in the center admin's token admin and could be revoked.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import ApiToken, Membership
from accounts.services import token_create, user_add
from api.serializers.accounts import EXISTING_PERSON
from tests.api.role_users import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_a(center):
    return user_add(email="admin@a.example.org", center=center, role="center_admin")


def test_finding7_adding_another_centers_user_is_refused(admin_a, center, other_center):
    """Another center's clinician cannot be pulled into mine; nothing is written."""
    colleague_b = user_add(email="doc@b.example.org", center=other_center, role="clinician")
    response = client_for(admin_a).post(
        "/api/v1/memberships/",
        {"email": "doc@b.example.org", "center": center.code, "role": "clinician"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "email", "code": "invalid", "message": EXISTING_PERSON}
    ]
    assert not Membership.objects.filter(user=colleague_b, center=center).exists()


def test_finding7_the_superuser_cannot_be_added_either(admin_a, center):
    root = get_user_model().objects.create_superuser("root@registry.example", "", "x" * 16)
    response = client_for(admin_a).post(
        "/api/v1/memberships/",
        {"email": root.username, "center": center.code, "role": "clinician"},
        format="json",
    )
    assert response.status_code == 400
    assert not Membership.objects.filter(user=root).exists()


def test_new_people_and_my_own_members_can_be_added(admin_a, center):
    """The other half: a new person is added (201); so is a member of my centers."""
    client = client_for(admin_a)
    new = client.post(
        "/api/v1/memberships/",
        {"email": "new@a.example.org", "center": center.code, "role": "researcher"},
        format="json",
    )
    assert new.status_code == 201, new.json()
    again = client.post(
        "/api/v1/memberships/",
        {"email": "new@a.example.org", "center": center.code, "role": "clinician"},
        format="json",
    )
    assert again.status_code == 201, again.json()
    assert Membership.objects.get(user__username="new@a.example.org").role == "clinician"


def test_finding7_token_admin_shows_only_my_members_tokens(client, admin_a, center, other_center):
    mine = user_add(email="doc@a.example.org", center=center, role="clinician")
    theirs = user_add(email="doc@b.example.org", center=other_center, role="clinician")
    token_create(user=mine, name="mine")
    token_create(user=theirs, name="theirs")
    client.force_login(admin_a)
    page = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    assert "doc@a.example.org" in page and "doc@b.example.org" not in page
    other = ApiToken.objects.get(user=theirs)
    change = client.get(reverse("admin:accounts_apitoken_change", args=[other.pk]))
    assert change.status_code in (302, 404)


def test_changing_a_role_creates_no_second_account(admin_a, center):
    """A review: editing a membership called user_add again, which made a second account for a
    username with capitals."""
    member = get_user_model().objects.create_user("Mixed@A.example.org")
    membership = Membership.objects.create(user=member, center=center, role="clinician")
    response = client_for(admin_a).patch(
        f"/api/v1/memberships/{membership.pk}/", {"role": "researcher"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert get_user_model().objects.filter(username__iexact="mixed@a.example.org").count() == 1
    assert Membership.objects.get(pk=membership.pk).role == "researcher"
