"""``GET /api/v1/sign-in-events/`` and the admin's read-only list: center admins see their
members' events, superusers all, anyone else 403; filters; constant query count."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import SignInEvent
from accounts.services import user_add
from api.views.sign_in_events import SIGN_IN_AUDITORS_ONLY
from tests.api.role_users import client_for
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
URL = "/api/v1/sign-in-events/"


@pytest.fixture
def people(center, other_center):
    return {
        "admin_a": user_add(email="admin@a.example.org", center=center, role="center_admin"),
        "member_a": user_add(email="member@a.example.org", center=center, role="clinician"),
        "member_b": user_add(email="member@b.example.org", center=other_center, role="clinician"),
        "researcher": user_add(email="res@a.example.org", center=center, role="researcher"),
        "root": get_user_model().objects.create_superuser(
            "root@registry.example", "root@registry.example", PASSWORD
        ),
    }


def event(user, kind: str = "signed_in", **fields) -> SignInEvent:
    return SignInEvent.objects.create(kind=kind, user=user, address="192.0.2.5", **fields)


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def test_a_center_admin_sees_only_their_members_events(people):
    """A's admin: A's member's event, not B's, nor an unknown account's failure."""
    mine = event(people["member_a"])
    event(people["member_b"])
    SignInEvent.objects.create(kind="failed", username="ghost@b.example.org")
    response = client_for(people["admin_a"]).get(URL)
    assert response.status_code == 200
    assert ids(response) == {mine.pk}
    row = response.json()["results"][0]
    assert row["user"] == people["member_a"].pk and row["address"] == "192.0.2.5"


def test_a_superuser_sees_every_event(people):
    everything = {event(people["member_a"]).pk, event(people["member_b"]).pk}
    ghost = SignInEvent.objects.create(kind="failed", username="ghost@b.example.org")
    assert ids(client_for(people["root"]).get(URL)) == everything | {ghost.pk}


@pytest.mark.parametrize("role", ["member_a", "researcher"])
def test_clinicians_and_researchers_are_refused(people, role):
    """Not a center admin: 403 with the reason."""
    response = client_for(people[role]).get(URL)
    assert response.status_code == 403
    assert SIGN_IN_AUDITORS_ONLY in response.content.decode()


def test_anonymous_is_refused():
    assert client_for(None).get(URL).status_code == 401


def test_filters_user_kind_since_until(people):
    """?user, ?kind, ?since and ?until narrow the list; a bad kind is a 400 naming it."""
    old = event(people["member_a"], at=timezone.now() - timedelta(days=3))
    failed = event(people["member_a"], kind="failed")
    other = event(people["admin_a"])
    client = client_for(people["admin_a"])
    assert ids(client.get(URL, {"user": people["member_a"].pk})) == {old.pk, failed.pk}
    assert ids(client.get(URL, {"kind": "failed"})) == {failed.pk}
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(client.get(URL, {"since": since})) == {failed.pk, other.pk}
    assert ids(client.get(URL, {"until": since})) == {old.pk}
    bad = client.get(URL, {"kind": "nonsense"})
    assert bad.status_code == 400 and "kind" in bad.content.decode()


def test_newest_first_and_paginated(people):
    """Newest first; page_size pages with a cursor."""
    first = event(people["member_a"], at=timezone.now() - timedelta(hours=2))
    second = event(people["member_a"], at=timezone.now() - timedelta(hours=1))
    client = client_for(people["admin_a"])
    page = client.get(URL, {"page_size": 1}).json()
    assert [row["id"] for row in page["results"]] == [second.pk]
    assert [row["id"] for row in client.get(page["next"]).json()["results"]] == [first.pk]


def test_the_list_runs_constant_queries(people):
    """As many queries for 50 events (with actors) as for 1."""
    client = client_for(people["admin_a"])
    event(people["member_a"], actor=people["root"])
    client.get(URL)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"page_size": 100}).status_code == 200
        return len(queries)

    one = count()
    for _ in range(49):
        event(people["member_a"], actor=people["root"])
    assert count() == one


def test_the_admin_list_is_read_only_and_restricted(people):
    """Admin changelist: A's admin sees A's member's event and not B's; no add, no delete."""
    event(people["member_a"], username="member@a.example.org")
    event(people["member_b"], username="member@b.example.org")
    client = Client()
    client.force_login(people["admin_a"])
    page = client.get("/admin/accounts/signinevent/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "member@a.example.org" in text and "member@b.example.org" not in text
    assert client.get("/admin/accounts/signinevent/add/").status_code == 403
    mine = SignInEvent.objects.get(user=people["member_a"])
    assert client.post(f"/admin/accounts/signinevent/{mine.pk}/delete/").status_code == 403
    assert SignInEvent.objects.filter(pk=mine.pk).exists()
