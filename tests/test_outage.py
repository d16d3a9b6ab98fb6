"""registry.outage: an unreachable service is an outage (503 + Retry-After), a bad query a bug."""

from __future__ import annotations

import json
import sqlite3

import psycopg
import pytest
from django.db import IntegrityError, InterfaceError, OperationalError
from django.test import RequestFactory
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import TimeoutError as RedisTimeoutError

from registry.outage import SERVICE_UNAVAILABLE, OutageMiddleware, is_outage


def wrapped(cause: Exception, kind: type[Exception] = OperationalError) -> Exception:
    """A Django database error as Django raises it: the driver's error as its cause."""
    error = kind(str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (wrapped(psycopg.OperationalError("connection failed: Connection refused")), True),
        (InterfaceError("connection already closed"), True),
        (KombuOperationalError("Error 111 connecting"), True),
        (RedisTimeoutError("Timeout reading from socket"), True),
        (wrapped(sqlite3.OperationalError("no such table: patients_patient")), False),
        (wrapped(psycopg.errors.QueryCanceled("canceling statement")), False),
        (wrapped(psycopg.errors.UniqueViolation("duplicate key"), IntegrityError), False),
        (ValueError("a bug"), False),
    ],
)
def test_only_unreachable_services_are_outages(error, outage):
    """Refused, reset or timed-out connections are outages; a refused query is not."""
    assert is_outage(error) is outage


def outage_response(path: str):
    middleware = OutageMiddleware(lambda request: None)
    request = RequestFactory().get(path)
    return middleware.process_exception(request, InterfaceError("connection already closed"))


def test_api_outage_is_a_json_503_with_retry_after(settings):
    response = outage_response("/api/v1/patients/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(settings.REGISTRY_OUTAGE_RETRY_AFTER_SECONDS)
    assert json.loads(response.content)["errors"][0] == {
        "field": None,
        "code": "service_unavailable",
        "message": SERVICE_UNAVAILABLE,
    }


def test_clinic_outage_is_a_friendly_page_rendered_without_the_database():
    """No query (this test has no database access: a query would raise): the database is what
    is down."""
    response = outage_response("/patients/")
    assert response.status_code == 503 and response["Retry-After"].isdigit()
    assert b"temporarily unavailable" in response.content


def test_a_bug_is_left_to_the_500_handler():
    assert (
        OutageMiddleware(lambda request: None).process_exception(
            RequestFactory().get("/api/v1/patients/"), ValueError("a bug")
        )
        is None
    )
