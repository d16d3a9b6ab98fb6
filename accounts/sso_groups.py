"""Which center memberships a provider's groups claim grants (single sign-on, issue 14).

REGISTRY_OIDC_GROUP_MAP is "group=CENTER:role,group=CENTER:role": each group named in the claim
grants that role in that center. Plain Python, no Django: parsed and applied by accounts.sso.
"""

from __future__ import annotations

from collections.abc import Iterable

# Ascending: when several groups name one center, the strongest role wins.
ROLES = ("researcher", "clinician", "center_admin")

BAD_ENTRY = "REGISTRY_OIDC_GROUP_MAP entry {entry!r}: expected group=CENTER:role"
BAD_ROLE = "REGISTRY_OIDC_GROUP_MAP entry {entry!r}: role must be one of " + ", ".join(ROLES)


def group_map_parse(text: str) -> dict[str, tuple[str, str]]:
    """``{group: (center code, role)}``; ValueError naming a malformed entry."""
    mapping: dict[str, tuple[str, str]] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        group, _, target = entry.partition("=")
        center, _, role = target.partition(":")
        if not group.strip() or not center.strip() or not role.strip():
            raise ValueError(BAD_ENTRY.format(entry=entry))
        if role.strip() not in ROLES:
            raise ValueError(BAD_ROLE.format(entry=entry))
        mapping[group.strip()] = (center.strip(), role.strip())
    return mapping


def memberships_from_groups(
    groups: Iterable[str], mapping: dict[str, tuple[str, str]]
) -> dict[str, str]:
    """``{center code: role}`` granted by ``groups``; the strongest role per center."""
    granted: dict[str, str] = {}
    for group in groups:
        if group not in mapping:
            continue
        center, role = mapping[group]
        if center not in granted or ROLES.index(role) > ROLES.index(granted[center]):
            granted[center] = role
    return granted
