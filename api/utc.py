"""Every instant the API writes is UTC with ``Z`` (issue #16): DRF converts a datetime to the
current time zone before writing it (``DateTimeField.enforce_timezone``) and writes ``Z`` for
UTC, so the API's requests run with UTC as their current time zone. A datetime sent without an
offset is read as UTC too. Pages keep the registry's TIME_ZONE; hand-written JSON documents use
:func:`registry.timestamps.utc_iso`."""

from __future__ import annotations

from datetime import UTC

from django.utils import timezone


class UtcForApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        with timezone.override(UTC):
            return self.get_response(request)
