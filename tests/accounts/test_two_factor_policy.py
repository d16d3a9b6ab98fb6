"""The two-factor policy as a pure function: every policy x role x center flag."""

from __future__ import annotations

import itertools

import pytest

from accounts.two_factor_policy import (
    UNKNOWN_POLICY,
    Policy,
    Step,
    policy_checked,
    second_factor_step,
    two_factor_required,
)

# Role -> (superuser, center_admin)
ROLES = {
    "superuser": (True, False),
    "center_admin": (False, True),
    "clinician": (False, False),
    "researcher": (False, False),
    "no_role": (False, False),
}


def _expected(policy: str, role: str, flagged: bool) -> bool:
    if policy == "all":
        return True
    if policy == "admins":
        return role in ("superuser", "center_admin")
    if policy == "center":
        return flagged
    return False


@pytest.mark.parametrize(
    ("policy", "role", "flagged"),
    list(itertools.product([p.value for p in Policy], ROLES, [False, True])),
)
def test_required_for_every_policy_role_and_center_flag(policy, role, flagged):
    """all: everyone; admins: superusers and center admins; center: members of a flagged
    center, whatever their role; off: nobody."""
    superuser, center_admin = ROLES[role]
    required = two_factor_required(
        policy, superuser=superuser, center_admin=center_admin, in_required_center=flagged
    )
    assert required is _expected(policy, role, flagged)


def test_an_unknown_policy_is_refused_naming_the_choices():
    """A misspelt setting is an error, never a silent "off"."""
    with pytest.raises(ValueError) as error:
        policy_checked("admin")
    assert str(error.value) == UNKNOWN_POLICY.format(
        choices="all, admins, center, off", value="admin"
    )
    with pytest.raises(ValueError):
        two_factor_required("", superuser=True, center_admin=False, in_required_center=False)


@pytest.mark.parametrize(
    ("verified", "has_device", "required", "step"),
    [
        (True, True, True, Step.NONE),
        (True, False, True, Step.NONE),
        (False, True, False, Step.VERIFY),  # enrolled: always asked, whatever the policy
        (False, True, True, Step.VERIFY),
        (False, False, True, Step.ENROL),
        (False, False, False, Step.NONE),
    ],
)
def test_the_step_a_session_owes(verified, has_device, required, step):
    """Verified: nothing; enrolled: verify; required without a device: enrol."""
    assert second_factor_step(verified=verified, has_device=has_device, required=required) == step
