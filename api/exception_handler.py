"""One JSON error shape for every API failure: ``{"errors": [{"field", "code", "message"}]}``.

``field`` is the dotted path of the offending input (``autoantibodies.aca``, ``visits.0.date``)
or null for errors about the whole request.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, OperationalError
from django.db.models.deletion import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from registry.db_rules import rule_violated

NOT_FOUND = "Not found."
BODY_TOO_LARGE = "The request body is larger than {limit} bytes."
IN_USE = "This record is still referenced by other records ({models}); remove those first."
CONFLICT = "This conflicts with another record (it may have been changed at the same time)."
CONCURRENT = "Another request changed the same records at the same time; retry."
# PostgreSQL SQLSTATEs of a transaction that lost to a concurrent one (deadlock, serialization):
# nothing was written, and the same request retried succeeds.
TRANSIENT_SQLSTATES = {"40P01", "40001"}
SERVER_ERROR = "Internal error; it has been logged."


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record changed since you read it (If-Match does not match its ETag)."
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = CONFLICT
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def flatten(detail: Any, field: str | None = None) -> list[dict]:
    """DRF's nested error detail as a flat list of {field, code, message}."""
    if isinstance(detail, dict):
        items = []
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "__all__") else str(key)
            path = ".".join(part for part in (field, name) if part) or None
            items.extend(flatten(value, path))
        return items
    if isinstance(detail, list):
        items = []
        for index, value in enumerate(detail):
            nested = isinstance(value, dict | list)
            items.extend(flatten(value, f"{field}.{index}" if nested and field else field))
        return items
    code = getattr(detail, "code", None) or "invalid"
    return [{"field": field, "code": code, "message": str(detail)}]


def error_body(errors: list[dict]) -> dict:
    return {"errors": errors}


def _convert(exc: Exception) -> Exception:
    """Django and database exceptions as the DRF exceptions they mean."""
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge(str(exc) or None)
    if isinstance(exc, ProtectedError | RestrictedError):
        objs = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        models = sorted({str(obj._meta.verbose_name_plural) for obj in objs})
        return Conflict(IN_USE.format(models=", ".join(models)), code="in_use")
    if isinstance(exc, IntegrityError):
        rule = rule_violated(exc)  # the same message as validation (registry.db_rules)
        if rule:
            return exceptions.ValidationError({rule.field: [rule.message]})
        return Conflict()
    if isinstance(exc, OperationalError):
        if getattr(exc.__cause__, "sqlstate", None) in TRANSIENT_SQLSTATES:
            return Conflict(CONCURRENT, code="concurrent_update")
        return exc
    if isinstance(exc, DataError):  # a value the database cannot store (NUL byte, too long)
        return exceptions.ValidationError(
            {"non_field_errors": ["A value cannot be stored (too long or a NUL character)."]}
        )
    if isinstance(exc, Http404):
        return exceptions.NotFound(NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def exception_handler(exc: Exception, context: dict) -> Response | None:
    exc = _convert(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500 handling (logged), JSON through handler500
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten(exc.detail)
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        errors = [
            {
                "field": None,
                "code": code if isinstance(code, str) else "error",
                "message": str(detail),
            }
        ]
    response.data = error_body(errors)
    return response


def json_error(status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        error_body([{"field": None, "code": code, "message": message}]), status=status_code
    )
