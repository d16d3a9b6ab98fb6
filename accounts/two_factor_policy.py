"""Who must sign in with a second factor, and what a session must do next (issue 14).

Plain values in, plain values out: ``accounts.two_factor`` reads the user, the session and the
setting, and asks here. ``REGISTRY_TWO_FACTOR_POLICY`` is one of:

- ``all``: everyone who signs in with a password;
- ``admins`` (the default): superusers and center admins, the accounts that reach the admin;
- ``center``: members (any role) of a center whose ``two_factor_required`` is set;
- ``off``: nobody has to enrol.

Whatever the policy, a person who has enrolled an authenticator is always asked for it: a
second factor one set up oneself is never skipped.
"""

from __future__ import annotations

import enum


class Policy(enum.StrEnum):
    ALL = "all"
    ADMINS = "admins"
    CENTER = "center"
    OFF = "off"


class Step(enum.StrEnum):
    """What a signed-in session must do before anything else."""

    NONE = "none"  # nothing: verified, or not required and not enrolled
    ENROL = "enrol"  # required, and no authenticator yet
    VERIFY = "verify"  # an authenticator exists: type its code (or a backup code)


UNKNOWN_POLICY = "REGISTRY_TWO_FACTOR_POLICY must be one of {choices}, not {value!r}."


def policy_checked(value: str) -> Policy:
    """The policy named by ``value``; ValueError naming the choices otherwise."""
    try:
        return Policy(value)
    except ValueError:
        choices = ", ".join(policy.value for policy in Policy)
        raise ValueError(UNKNOWN_POLICY.format(choices=choices, value=value)) from None


def two_factor_required(
    policy: str, *, superuser: bool, center_admin: bool, in_required_center: bool
) -> bool:
    """Whether the policy obliges this person to enrol a second factor."""
    match policy_checked(policy):
        case Policy.ALL:
            return True
        case Policy.ADMINS:
            return superuser or center_admin
        case Policy.CENTER:
            return in_required_center
        case Policy.OFF:
            return False


def second_factor_step(*, verified: bool, has_device: bool, required: bool) -> Step:
    """What the session must do next: nothing once verified; an enrolled person verifies
    whatever the policy; a required person without a device enrols."""
    if verified:
        return Step.NONE
    if has_device:
        return Step.VERIFY
    return Step.ENROL if required else Step.NONE
