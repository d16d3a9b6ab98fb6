"""What ``make run`` shows: the demo sign-ins on every start, not buried under task logs."""

import logging
from io import StringIO

import pytest
from django.core.management import call_command

from demo.cohort import DEMO_CENTERS


def run(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def sign_in_lines(output: str) -> list[str]:
    lines = output.splitlines()
    start = lines.index("Demo sign-ins (synthetic data only; passwords as seeded):")
    return lines[start + 1 :]


# Transactional: the tasks queued after commit run in-process, as under `make run`.
@pytest.mark.django_db(transaction=True)
def test_every_start_prints_the_sign_ins_and_no_task_log(caplog):
    """First start seeds (tasks run, their INFO lines held back), second start finds the cohort
    and prints the same sign-ins: username, password, role and center, the admin last."""
    caplog.set_level(logging.INFO)
    first = run("--if-empty", "--patients", "2")
    task_lines = [r for r in caplog.records if r.name.startswith(("celery", "kombu"))]
    assert [r.getMessage() for r in task_lines if r.levelno < logging.WARNING] == []
    assert "Seeded 3 patients" in first
    second = run("--if-empty", "--patients", "2")
    assert second.startswith("Patients exist already: demo cohort not seeded.")
    assert sign_in_lines(second) == sign_in_lines(first)
    rows = sign_in_lines(second)
    assert len(rows) == 2 * len(DEMO_CENTERS) + 1
    assert rows[0].split() == [
        "clinician@demo-north.example.org",
        "password",
        "demo-clinician-2026",
        "clinician",
        "at",
        "demo-north",
        *f"({DEMO_CENTERS[0][1]})".split(),
    ]
    assert rows[-1].split()[:4] == ["admin", "password", "demo-admin-2026", "superuser:"]
    assert logging.getLogger("celery").level == logging.NOTSET  # restored after seeding


@pytest.mark.django_db
def test_existing_cohort_without_demo_users_says_so():
    """A cohort seeded with --no-users: the next start says there are no demo sign-ins."""
    run("--patients", "0", "--no-users")
    output = run("--if-empty")
    assert "No demo sign-ins" in output
    assert "Demo sign-ins" not in output
