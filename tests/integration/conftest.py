"""Fixtures shared by the integration tests."""

from __future__ import annotations

import pytest

from registry.celery import app as celery_app


@pytest.fixture
def publish_to(monkeypatch):
    """Point this process's Celery app at a broker: tasks go to the worker, not in-process."""

    def reset_pools() -> None:
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    def point(url: str) -> None:
        monkeypatch.setenv("CELERY_BROKER_URL", url)  # Celery reads the variable first
        monkeypatch.setitem(celery_app.conf, "CELERY_BROKER_URL", url)
        monkeypatch.setitem(celery_app.conf, "CELERY_TASK_ALWAYS_EAGER", False)
        reset_pools()

    yield point
    reset_pools()
