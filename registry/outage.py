"""Outages answered as outages: 503 with ``Retry-After`` when the database, the broker or the
cache cannot be reached, so that a client can tell an outage (retry later) from a bug (500).

A database drill gave 1,888 fast JSON 500s (issue 21): right shape, wrong meaning. Nothing is
half-written either way (a write's transaction rolls back); the API answers its JSON error
shape, the clinic pages a friendly page. Only failures to reach a service count: a query the
database refused (a bad statement, a constraint) stays a bug or a 4xx.
"""

from __future__ import annotations

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

SERVICE_UNAVAILABLE = (
    "The registry cannot reach its database or broker just now; nothing was saved by this "
    "request. Retry in a moment."
)
# PostgreSQL SQLSTATEs of a server that went away or is not accepting connections (class 08:
# connection exception; 57P01-57P03: shut down, crashed, starting). None: the client library
# failed before the server answered (refused, reset, timed out).
UNREACHABLE_SQLSTATES = {"57P01", "57P02", "57P03"}
SERVICE_ERRORS = (KombuOperationalError, RedisConnectionError, RedisTimeoutError)


def is_outage(error: BaseException) -> bool:
    """True when ``error`` means a service is unreachable, not that the request or code is bad."""
    if isinstance(error, (InterfaceError, *SERVICE_ERRORS)):
        return True
    if isinstance(error, OperationalError):
        sqlstate = getattr(error.__cause__, "sqlstate", "not psycopg")
        return sqlstate is None or sqlstate[:2] == "08" or sqlstate in UNREACHABLE_SQLSTATES
    return False


def outage_response(request) -> HttpResponse:
    """The JSON error shape under ``/api/``, the clinic's friendly page elsewhere; both 503."""
    from api.exception_handler import json_error

    if request.path.startswith("/api/"):
        response = json_error(503, "service_unavailable", SERVICE_UNAVAILABLE)
    else:  # no request context: the page must not query the database that is down
        page = render_to_string("clinic/outage.html", {"message": SERVICE_UNAVAILABLE})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(settings.REGISTRY_OUTAGE_RETRY_AFTER_SECONDS)
    return response


class OutageMiddleware:
    """Turns an outage escaping a view (API or clinic) into :func:`outage_response`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception: Exception) -> HttpResponse | None:
        return outage_response(request) if is_outage(exception) else None
