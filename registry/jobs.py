"""The one background-job model (STYLE.md habits 3 and 13): every job kind (exports, cohort
recomputations, and the jobs to come) inherits :class:`Job`, its statuses, progress, timestamps,
guarded moves and heartbeat, and says how it is run (``task``) and failed (``fail``), so that one
sweep (:mod:`registry.job_sweep`) takes back the jobs of every kind whose worker stopped.

Every move is one conditional UPDATE that happens only from a status allowing it, so two runs of
the same job (a redelivered task) cannot both finish it, and nothing revives a finished job.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.db import DatabaseError, connection, models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

logger = logging.getLogger(__name__)

ILLEGAL_MOVE = "{kind} {job}: cannot move from {current} to {target}"


class IllegalJobMove(Exception):
    """The job is not in a status from which the requested move is allowed."""


def silent_since(bound: datetime) -> Q:
    """No sign of life since ``bound`` (a job never heard of counts from its creation)."""
    return Q(heartbeat_at__lt=bound) | Q(heartbeat_at=None, created_at__lt=bound)


def takeover_bound() -> datetime:
    """A run silent for three heartbeats is dead: a redelivered or requeued task may take its job
    over. (Shorter than the sweep's stale bound, which also covers a task waiting in a queue:
    a task redelivered after the broker's visibility timeout must not wait for the sweep.)"""
    return timezone.now() - timedelta(seconds=3 * settings.REGISTRY_JOB_HEARTBEAT_SECONDS)


class Job(models.Model):
    """Abstract: the state of one background job, moved only through :meth:`move`.

    ``heartbeat_at`` is written by every move and, while a task runs the job, every
    REGISTRY_JOB_HEARTBEAT_SECONDS (:func:`heartbeat`): a running job silent for longer than
    REGISTRY_JOB_STALE_AFTER_SECONDS lost its worker, and the sweep queues it again
    (``attempts`` counts those times) or fails it after REGISTRY_JOB_MAX_ATTEMPTS.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    ACTIVE: ClassVar[list[str]] = [Status.PENDING, Status.RUNNING]
    FINAL: ClassVar[list[str]] = [Status.SUCCEEDED, Status.FAILED]
    # from -> the statuses it may move to; running -> running is a re-run taking over a job
    # whose run is silent (see :meth:`move`), running -> pending the sweep taking back a job
    # whose worker stopped or a run handing the job over (to its next slice, to its retry).
    ALLOWED_MOVES: ClassVar[Mapping[str, set[str]]] = {
        Status.PENDING: {Status.RUNNING, Status.FAILED},
        Status.RUNNING: {Status.RUNNING, Status.PENDING, Status.SUCCEEDED, Status.FAILED},
        Status.SUCCEEDED: set(),
        Status.FAILED: set(),
    }
    # Dotted paths (the models load before the tasks and services that use them): the Celery
    # task running a job given its id, and the service failing it, ``fail(job_id=, error=)``.
    task: ClassVar[str]
    fail: ClassVar[str]
    # Prefix of a run's scratch folder in the temporary directory, followed by the job id.
    scratch_prefix: ClassVar[str] = ""

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times the sweep queued it again after its worker stopped."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of its task (a move, a heartbeat)."
    )

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status not in self.ACTIVE

    @classmethod
    def move(cls, job_id: int, target: str, *, where: Q | None = None, **fields: Any) -> None:
        """Move job ``job_id`` to ``target`` (with ``fields``) if its status allows it (and
        ``where`` holds), or raise :class:`IllegalJobMove`. A running job is taken over
        (running -> running) only once its run has missed three heartbeats: a duplicate task of
        a job whose run is alive is refused and does nothing."""
        now = timezone.now()
        values: dict[str, Any] = {"status": target, "heartbeat_at": now, **fields}
        if target == cls.Status.RUNNING:
            values["started_at"] = Coalesce(F("started_at"), now)
        if target in cls.FINAL:
            values["finished_at"] = now
        sources = [source for source, targets in cls.ALLOWED_MOVES.items() if target in targets]
        rows = cls.objects.filter(pk=job_id, status__in=sources)
        if target == cls.Status.RUNNING:
            rows = rows.filter(~Q(status=cls.Status.RUNNING) | silent_since(takeover_bound()))
        if not rows.filter(where or Q()).update(**values):
            current = cls.objects.filter(pk=job_id).values_list("status", flat=True).first()
            kind = cls._meta.verbose_name
            raise IllegalJobMove(
                ILLEGAL_MOVE.format(kind=kind, job=job_id, current=current, target=target)
            )

    @classmethod
    def runnable(cls) -> models.QuerySet:
        """The jobs that a task of their own runs (the sweep's scope)."""
        return cls.objects.all()

    @classmethod
    def scratch_stem(cls) -> str:
        """How this kind's scratch folders are named, before the job id: its prefix and a
        token of the database, so that a sweep never removes the folders of another database's
        jobs (a second deployment or a parallel test run sharing the temporary directory)."""
        db = connection.settings_dict
        place = f"{db['HOST']}:{db['PORT']}/{db['NAME']}"
        return f"{cls.scratch_prefix}{hashlib.sha256(place.encode()).hexdigest()[:8]}-"

    @classmethod
    def scratch_dir(cls, job_id: int) -> tempfile.TemporaryDirectory:
        """A run's scratch folder, named for the job so that the sweep can remove it once the
        run is dead (a SIGKILLed task never runs its cleanup)."""
        return tempfile.TemporaryDirectory(prefix=f"{cls.scratch_stem()}{job_id}-")

    @classmethod
    def scratch_dirs(cls) -> Iterator[tuple[int, Path]]:
        """Every scratch folder of this kind and database on this machine, with its job id."""
        if not cls.scratch_prefix:
            return
        stem = cls.scratch_stem()
        for path in Path(tempfile.gettempdir()).glob(f"{stem}*-*"):
            number = path.name.removeprefix(stem).split("-", 1)[0]
            if number.isdigit() and path.is_dir():
                yield int(number), path


@contextmanager
def heartbeat(model: type[Job], job_id: int, *, every: float | None = None) -> Iterator[None]:
    """Write the job's ``heartbeat_at`` every ``every`` seconds (REGISTRY_JOB_HEARTBEAT_SECONDS)
    while the block runs, from a thread with its own connection: a long query, a COPY holding
    the task's connection or a slow file write does not silence it, a dead process does."""
    period = every or settings.REGISTRY_JOB_HEARTBEAT_SECONDS
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(period):
                try:
                    model.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError as error:  # the next beat tries again on a new connection
                    logger.warning("Heartbeat of %s %s not written (%s)",
                                   model._meta.verbose_name, job_id, type(error).__name__)
                    connection.close()
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
