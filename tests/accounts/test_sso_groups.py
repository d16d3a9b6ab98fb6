"""The group map of single sign-on (accounts.sso_groups): plain values, no database."""

from __future__ import annotations

import pytest

from accounts.sso_groups import (
    BAD_ENTRY,
    BAD_ROLE,
    group_map_parse,
    memberships_from_groups,
)

MAP = (
    "calc-north-clinicians=north:clinician, calc-north-admins=north:center_admin,,"
    "res=lake:researcher"
)


def test_map_is_parsed_into_group_center_and_role():
    """Entries are comma separated, spaces and empty entries ignored."""
    assert group_map_parse(MAP) == {
        "calc-north-clinicians": ("north", "clinician"),
        "calc-north-admins": ("north", "center_admin"),
        "res": ("lake", "researcher"),
    }
    assert group_map_parse("") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("calc-north", BAD_ENTRY.format(entry="calc-north")),
        ("g=north", BAD_ENTRY.format(entry="g=north")),
        ("g=north:superuser", BAD_ROLE.format(entry="g=north:superuser")),
    ],
)
def test_malformed_entries_are_refused_by_name(text, message):
    """A malformed entry or an unknown role (superuser is none) names itself."""
    with pytest.raises(ValueError) as raised:
        group_map_parse(text)
    assert str(raised.value) == message


def test_strongest_role_per_center_wins_and_unknown_groups_are_ignored():
    """Two groups naming one center: center admin beats clinician; other groups grant nothing."""
    mapping = group_map_parse(MAP)
    granted = memberships_from_groups(
        ["calc-north-admins", "calc-north-clinicians", "staff", "res"], mapping
    )
    assert granted == {"north": "center_admin", "lake": "researcher"}
    assert memberships_from_groups(["calc-north-clinicians"], mapping) == {"north": "clinician"}
    assert memberships_from_groups([], mapping) == {}


def test_misconfigured_single_sign_on_fails_the_start_up_check(settings):
    """An issuer without a client, a wrong algorithm or a bad group map: check errors."""
    from accounts.oidc_checks import BAD_ALGO, MISSING_CLIENT, oidc_settings_check

    assert oidc_settings_check(None) == []
    settings.REGISTRY_OIDC_ISSUER = "https://sso.hospital.example"
    settings.REGISTRY_OIDC_SIGN_ALGO = "HS256"
    settings.REGISTRY_OIDC_GROUP_MAP = "g=north:superuser"
    messages = [error.msg for error in oidc_settings_check(None)]
    assert messages == [MISSING_CLIENT, BAD_ALGO, BAD_ROLE.format(entry="g=north:superuser")]
