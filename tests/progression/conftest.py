"""Fixtures of the progression tests: the teaching case, and a way to commit a write with its
on-commit hooks (tasks run in-process: tests/conftest.py's eager_tasks)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from demo.teaching_case import TEACHING_CASE_LOCAL_ID
from patients.models import Patient


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """``commit(fn, ...)``: run ``fn`` as one transaction, then its on-commit callbacks (the
    enqueue), as a real commit would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def teaching_case(db) -> Patient:
    """The whole teaching case as seed_demo writes it: visits, three years of left-hand
    radiographs with the thumb deposit measured. Seeded in bulk (no service ran: never computed).
    """
    call_command(
        "seed_demo", "--patients", "0", "--no-users", "--no-progression",
        stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip
    return Patient.objects.get(local_id=TEACHING_CASE_LOCAL_ID)


@pytest.fixture
def computations(monkeypatch) -> list[int]:
    """Counts the engine runs of progression.services (one entry per patient computed)."""
    from progression import services

    calls: list[int] = []
    original = services.compute_progression

    def counting(**kwargs):
        calls.append(1)
        return original(**kwargs)

    monkeypatch.setattr(services, "compute_progression", counting)
    return calls
