"""``registry_user token`` tells how many tokens the user has and how to revoke the old ones;
``registry_user revoke --all-but-newest`` does it (issue #16)."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import token_authenticate, token_create, user_add

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("registry_user", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _raw(output: str) -> str:
    return output.splitlines()[0].split()[-1]  # the README's awk 'NR==1{print $NF}'


@pytest.fixture
def ada(center):
    return user_add(email="ada@clinic.example", center=center, role="clinician")


def test_token_counts_the_users_tokens_and_says_how_to_revoke(ada):
    """A third token: the output counts three active ones (an expired one is not counted), each
    with created and last used, and prints the exact revoke commands."""
    first = token_create(user=ada, name="laptop")
    token_create(user=ada)
    token_authenticate(first)  # last used: now
    ApiToken.objects.filter(user=ada, name="laptop").update(
        created_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    )
    expired = token_create(user=ada)
    ApiToken.objects.filter(prefix=expired[:12]).update(
        created_at=timezone.now() - timedelta(days=3), expires_at=timezone.now() - timedelta(days=1)
    )
    output = run("token", "ada@clinic.example", "--name", "ci")
    raw = _raw(output)
    assert token_authenticate(raw).user == ada
    assert "ada@clinic.example has 3 active token(s), newest first:" in output
    assert expired[:12] not in output
    laptop = next(line for line in output.splitlines() if first[:12] in line)
    assert "'laptop' created 2026-01-05 09:30Z, last used " in laptop
    assert "last used never" not in laptop
    assert f"{raw[:12]}… 'ci' created " in output
    assert f"Revoke one: manage.py registry_user revoke {first[:12]}" in output  # the oldest
    assert (
        "Revoke all but the newest: manage.py registry_user revoke --all-but-newest "
        "ada@clinic.example"
    ) in output


def test_revoke_all_but_newest(ada):
    """Every active token but the newest is revoked; the newest still authenticates."""
    older = [token_create(user=ada) for _ in range(2)]
    newest = _raw(run("token", "ada@clinic.example"))
    output = run("revoke", "--all-but-newest", "ada@clinic.example")
    assert "Revoked 2 token(s)." in output
    assert [token_authenticate(raw) for raw in older] == [None, None]
    assert token_authenticate(newest).user == ada
    assert "Revoked 0 token(s)." in run("revoke", "--all-but-newest", "ada@clinic.example")


def test_revoke_needs_one_of_prefix_or_user(ada):
    """Neither or both: refused with the usage, nothing revoked."""
    raw = token_create(user=ada)
    with pytest.raises(CommandError, match="--all-but-newest"):
        run("revoke")
    with pytest.raises(CommandError, match="--all-but-newest"):
        run("revoke", raw[:12], "--all-but-newest", "ada@clinic.example")
    assert token_authenticate(raw).user == ada
