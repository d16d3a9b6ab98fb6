"""Refusals answered as pages: 403 in the clinic's look (menu, sign-out, the reason, the pages
the person's role opens) and the API's JSON error shape under ``/api/``.

Django logs a PermissionDenied that reaches its handler with the traceback, once per request
(issue #16: a researcher's every click on a clinical page filled the log). A refusal is not a
fault: it is logged as one warning line, without a traceback.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.log import log_response

NOT_ALLOWED = "Your role does not open this page."


def forbidden_response(request, reason: str = "") -> HttpResponse:
    """403 naming ``reason``: JSON under ``/api/``, the clinic's page elsewhere; logged as one
    ``django.request`` warning without a traceback."""
    from api.exception_handler import json_error

    reason = reason or NOT_ALLOWED
    if request.path.startswith("/api/"):
        response = json_error(403, "permission_denied", reason)
    else:
        response = TemplateResponse(
            request, "clinic/forbidden.html", {"reason": reason}, status=403
        ).render()
    log_response(
        "Forbidden (Permission denied): %s", request.path, response=response, request=request
    )
    return response


class ForbiddenMiddleware:
    """Turns a PermissionDenied escaping a view into :func:`forbidden_response`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, PermissionDenied):
            return forbidden_response(request, str(exception))
        return None


def forbidden(request, exception=None) -> HttpResponse:
    """handler403: the refusals no middleware turned into a page (those raised by a middleware)."""
    return forbidden_response(request, str(exception or ""))
