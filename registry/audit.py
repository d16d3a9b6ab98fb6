"""Where a change came from (API, admin, web, CLI, task), recorded on every history row.

django-simple-history records who and when; this adds from where. Middleware and commands set
the context; a ``pre_create_historical_record`` receiver copies it onto the history row.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from django.db import models
from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record


class Source(models.TextChoices):
    API = "api", "REST API"
    ADMIN = "admin", "Admin"
    WEB = "web", "Web app"
    CLI = "cli", "Command line"
    TASK = "task", "Background task"
    UNKNOWN = "unknown", "Unknown"


_context: ContextVar[tuple[str, str | None]] = ContextVar(
    "audit_context", default=(Source.UNKNOWN, None)
)


class AuditedHistory(models.Model):
    """Abstract base of every historical model: the source of the change and the client address."""

    history_source = models.CharField(max_length=10, choices=Source.choices, default=Source.UNKNOWN)
    history_remote_addr = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        abstract = True


@contextlib.contextmanager
def audit_context(source: str, remote_addr: str | None = None) -> Iterator[None]:
    token = _context.set((source, remote_addr))
    try:
        yield
    finally:
        _context.reset(token)


def source_for_path(path: str) -> str:
    if path.startswith("/api/"):
        return Source.API
    if path.startswith("/admin/"):
        return Source.ADMIN
    return Source.WEB


class AuditContextMiddleware:
    """Marks every request's changes with their source and the client address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_context(source_for_path(request.path), request.META.get("REMOTE_ADDR")):
            return self.get_response(request)


@receiver(pre_create_historical_record)
def _stamp_history(sender, history_instance, **kwargs) -> None:
    source, remote_addr = _context.get()
    history_instance.history_source = source
    history_instance.history_remote_addr = remote_addr
