"""Recording reads during a request, written once the response has been sent.

A view calls :func:`access_log_note` with what it returned; :class:`AccessLogMiddleware` keeps
the notes of a successful response (status below 400) and writes them when the server closes
the response, i.e. after its last byte went out (WSGI ``close()``; Django's test client closes
it too), with one INSERT per table (:func:`access_log.services.access_log_write`). A refused or
failed request (4xx, 5xx) records nothing.

Who is ``request.user`` at the time of the note: for a bearer token, the token's owner.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from django.http import HttpRequest, HttpResponseBase

from access_log.services import PendingEntry, access_log_write
from accounts.login_throttle import client_address

logger = logging.getLogger(__name__)

PENDING = "_access_log_pending"
WRITE_FAILED = "The access log could not record %d read(s) of %s: %s"


def _http_request(request) -> HttpRequest:
    """Django's request under DRF's wrapper (notes must survive the wrapper)."""
    return getattr(request, "_request", request)


def access_log_note(
    request,
    *,
    kind: str,
    patient_ids: Iterable[int] = (),
    object_id: int | None = None,
    patient_count: int | None = None,
    checksum: str = "",
) -> None:
    """Note one read by the request's person, written after the response if it succeeds."""
    user = request.user
    if not getattr(user, "is_authenticated", False):
        return
    http = _http_request(request)
    match = getattr(http, "resolver_match", None)
    pending = PendingEntry(
        user_id=user.pk,
        username=user.get_username(),
        kind=kind,
        route=match.view_name if match else "",
        object_id=object_id,
        address=client_address(http),
        patient_ids=list(patient_ids),
        patient_count=patient_count,
        checksum=checksum,
    )
    http.__dict__.setdefault(PENDING, []).append(pending)


def _flush(entries: list[PendingEntry], route: str) -> None:
    try:
        access_log_write(entries=entries)
    except Exception as error:  # the response is gone: say so loudly, without patient ids
        logger.error(WRITE_FAILED, len(entries), route, type(error).__name__)


class AccessLogMiddleware:
    """Writes the request's notes after the response is sent; nothing for 4xx and 5xx."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        pending = request.__dict__.pop(PENDING, None)
        if pending and response.status_code < 400:
            # Django calls a response's resource closers from close(), which the server calls
            # once the body has been sent (also after a streamed file).
            route = pending[0].route
            response._resource_closers.append(partial(_flush, pending, route))
        return response
