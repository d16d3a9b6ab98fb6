"""Shared fixtures. Integration tests that need a service fail (not skip) when
REGISTRY_REQUIRE_SERVICES=1, as in CI: a skipped integration test is not a pass."""

from __future__ import annotations

import os

import pytest

from tests import factories

REQUIRE_SERVICES = os.environ.get("REGISTRY_REQUIRE_SERVICES") == "1"


def missing_service(reason: str) -> None:
    """Skip locally, fail loudly in CI."""
    if REQUIRE_SERVICES:
        pytest.fail(f"Required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def postgres(settings):
    from django.db import connection

    if connection.vendor != "postgresql":
        missing_service("PostgreSQL (set DATABASE_URL)")
    return connection


@pytest.fixture
def center(db):
    return factories.make_center("north", "North clinic")


@pytest.fixture
def other_center(db):
    return factories.make_center("south", "South clinic")


@pytest.fixture
def patient(center):
    return factories.make_patient(center)


@pytest.fixture(autouse=True)
def eager_tasks(request, monkeypatch):
    """Tasks run in-process (the embedded default) even when CELERY_BROKER_URL is set, except in
    tests marked ``real_broker``, where a real worker runs them."""
    if request.node.get_closest_marker("real_broker") is None:
        from registry.celery import app as celery_app

        monkeypatch.setitem(celery_app.conf, "CELERY_TASK_ALWAYS_EAGER", True)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counters live in the cache: no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
