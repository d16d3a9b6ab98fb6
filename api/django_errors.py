"""Django-level errors (unrouted paths, unhandled exceptions, oversized bodies) as the API's
JSON error shape under ``/api/``; HTML elsewhere."""

from __future__ import annotations

import sys

from django.conf import settings
from django.views import defaults

from api.exception_handler import BODY_TOO_LARGE, NOT_FOUND, SERVER_ERROR, json_error
from registry.outage import is_outage, outage_response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _is_api(request):
        return json_error(404, "not_found", NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500. Django calls it while handling the exception, also one raised by a
    middleware (the session timeout, the two-factor gate, which read the database before any
    view): an outage there is a 503 like an outage in a view (registry.outage)."""
    if is_outage(sys.exc_info()[1]):
        return outage_response(request)
    if _is_api(request):
        return json_error(500, "server_error", SERVER_ERROR)
    return defaults.server_error(request)


class ApiBodyLimitMiddleware:
    """413 before reading a body larger than the API accepts (uploads have their own limit)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _is_api(request):
            limit = settings.REGISTRY_API_MAX_BODY_BYTES
            if request.path.startswith(settings.REGISTRY_UPLOAD_PATHS):
                limit = settings.REGISTRY_UPLOAD_MAX_BODY_BYTES
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return json_error(400, "invalid_content_length", "Invalid Content-Length header.")
            if length > limit:
                return json_error(413, "payload_too_large", BODY_TOO_LARGE.format(limit=limit))
        return self.get_response(request)


class ApiNotFoundMiddleware:
    """An unrouted path under ``/api/`` answers the JSON error shape, with DEBUG on too (Django's
    technical 404 page bypasses ``handler404``). It sits outside CommonMiddleware, so a path that
    only lacks its trailing slash is still redirected first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and _is_api(request)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return json_error(404, "not_found", NOT_FOUND)
        return response
