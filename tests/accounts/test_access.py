"""The one access rule (accounts/access.py): centers per role and action, and restrict()."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from accounts.access import (
    CENTER_REQUIRED,
    NO_CENTER,
    Action,
    access_of,
    only_center,
    restrict,
    users_administered,
)
from accounts.models import ApiToken, Center
from accounts.services import token_create, user_add
from patients.models import Patient, Visit
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(center, other_center):
    return {
        "clinician": user_add(email="c@a.example.org", center=center, role="clinician"),
        "admin": user_add(email="adm@a.example.org", center=center, role="center_admin"),
        "researcher": user_add(email="r@a.example.org", center=center, role="researcher"),
        "root": get_user_model().objects.create_superuser("root", "", "root-pass-long-1"),
        "nobody": get_user_model().objects.create_user("nobody@example.org"),
    }


@pytest.mark.parametrize(
    ("role", "view", "change", "administer"),
    [
        ("clinician", {"north"}, {"north"}, set()),
        ("admin", {"north"}, {"north"}, {"north"}),
        ("researcher", "all", set(), set()),
        ("root", "all", "all", "all"),
        ("nobody", set(), set(), set()),
    ],
)
def test_centers_per_role_and_action(people, role, view, change, administer):
    user = people[role]
    for action, expected in [
        (Action.VIEW, view),
        (Action.CHANGE, change),
        (Action.ADMINISTER, administer),
    ]:
        ids = access_of(user).center_ids(action)
        got = (
            "all"
            if ids is None
            else set(Center.objects.filter(pk__in=ids).values_list("code", flat=True))
        )
        assert got == expected, (role, action)


def test_a_researcher_role_elsewhere_does_not_widen_a_clinician(center, other_center):
    """A clinician of north who is also a researcher at south reads only north, identifiable."""
    user = user_add(email="both@example.org", center=center, role="clinician")
    user_add(email="both@example.org", center=other_center, role="researcher")
    access = access_of(get_user_model().objects.get(pk=user.pk))
    assert not access.research
    assert access.center_ids(Action.VIEW) == frozenset({center.pk})


def test_restrict_follows_each_models_path_to_its_center(people, center, other_center):
    mine = factories.make_visit(factories.make_patient(center))
    factories.make_visit(factories.make_patient(other_center))
    clinician = people["clinician"]
    assert list(Visit.objects.restrict(clinician)) == [mine]
    assert Patient.objects.restrict(people["researcher"]).count() == 2
    assert not Patient.objects.restrict(people["researcher"], Action.CHANGE).exists()
    assert not Patient.objects.restrict(people["nobody"]).exists()
    # a historical model follows its live model's path
    assert set(restrict(Patient.history.all(), clinician).values_list("center_id", flat=True)) == {
        center.pk
    }


def test_tokens_reach_their_owners_centers_once(people, center, other_center):
    """Tokens reach a center through the owner's memberships (a to-many path): no duplicates."""
    both = user_add(email="two@example.org", center=center, role="clinician")
    user_add(email="two@example.org", center=other_center, role="clinician")
    token_create(user=both)
    assert restrict(ApiToken.objects.all(), people["admin"], Action.ADMINISTER).count() == 1
    assert not restrict(ApiToken.objects.all(), people["clinician"], Action.ADMINISTER).exists()


def test_users_administered_are_my_centers_members(people, center, other_center):
    user_add(email="far@b.example.org", center=other_center, role="clinician")
    names = set(users_administered(people["admin"]).values_list("username", flat=True))
    assert "c@a.example.org" in names and "far@b.example.org" not in names
    assert "root" not in names


def test_only_center(people, center, other_center):
    assert only_center(people["clinician"]) == center
    with pytest.raises(ValueError, match=re.escape(CENTER_REQUIRED)):
        only_center(people["root"])
    with pytest.raises(ValueError, match=re.escape(NO_CENTER)):
        only_center(people["researcher"])


def test_inactive_users_reach_nothing(people):
    user = people["clinician"]
    user.is_active = False
    user.save()
    assert not access_of(get_user_model().objects.get(pk=user.pk)).any
