"""The one way to queue a task: once, briefly, and never failing or hanging the caller.

The database is the source of truth and every task has a sweep behind it (progression, cohort
jobs, previews, exports), so a task that cannot be queued is left to the sweep rather than
retried here. A broker that refuses fails at once; one that hangs fails after the broker socket
timeouts (``CELERY_BROKER_TRANSPORT_OPTIONS``: about a second), because publishing is a single
attempt (``retry=False``). Measured with a frozen proxy in front of Redis (docs/operations.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Task
from django.db import transaction
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What a publish raises when the broker cannot be reached or does not answer: kombu wraps most,
# redis-py and the socket layer (socket.timeout is an OSError) raise the rest.
BROKER_ERRORS = (KombuOperationalError, RedisConnectionError, RedisTimeoutError, OSError)
BROKER_DOWN = "Broker unreachable: %s not queued, left to the sweep (%s)"


def task_of(task: Task | str) -> Task:
    """A task, or the dotted path of one. Services name the tasks they queue and never import
    them: tasks import services, not the other way (docs/ARCHITECTURE.md, import-linter)."""
    return import_string(task) if isinstance(task, str) else task


def enqueue(
    task: Task | str,
    args: tuple[Any, ...],
    *,
    countdown: float | None = None,
    on_failure: Callable[[], None] | None = None,
) -> bool:
    """Publish ``task`` once; True when it was sent. If the broker is unreachable, log the task's
    name (never its arguments: they may identify a patient), call ``on_failure`` (release a
    claim so that the sweep takes the work) and return False. Without a broker (eager mode) the
    task runs here, in-process."""
    task = task_of(task)
    try:
        if task.app.conf.task_always_eager:
            task.apply_async(args)
        else:
            task.apply_async(args, countdown=countdown or None, retry=False)
    except BROKER_ERRORS as error:
        logger.warning(BROKER_DOWN, task.name, type(error).__name__)
        if on_failure is not None:
            on_failure()
        return False
    return True


def enqueue_after_commit(
    task: Task | str,
    args: tuple[Any, ...],
    *,
    countdown: float | None = None,
    on_failure: Callable[[], None] | None = None,
) -> None:
    """:func:`enqueue` once the current transaction commits (at once outside one). Robust: an
    error there is logged, never raised into the write that has already committed."""

    def after_commit() -> None:  # a function, not a partial: Django logs its __qualname__
        enqueue(task, args, countdown=countdown, on_failure=on_failure)

    transaction.on_commit(after_commit, robust=True)
