"""The walk of the role tables: every operation of the OpenAPI schema, the status each role
should get on it, and a world of records in two centers to call it on.

The operations come from the schema drf-spectacular generates, and the expected status of each
(role, operation) is derived from rules on the path's shape (list, detail, history, nested list),
so a new endpoint is checked the day it appears. A path the rules do not recognise fails
``test_every_operation_is_covered`` (:mod:`tests.api.test_role_matrix`): extend ``COLLECTIONS`` /
``shape_of`` deliberately rather than let an endpoint go unchecked.

Each operation runs inside a savepoint that is rolled back (:func:`call`), so writes and deletes
see the same records as the reads. The ``world`` fixture (tests/api/conftest.py) is
:func:`build_world`.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import Center, Membership, SignInEvent
from accounts.services import user_add
from imaging.models import RadiographicFinding
from imaging.services import finding_save
from patients.models import CalcinosisTreatment
from patients.services import treatment_save
from tests import factories
from tests.api.role_users import client_for, role_users

# Collections under /api/v1/ and the kind of record each holds.
COLLECTIONS = {
    "centers": "center",
    "memberships": "membership",
    "sign-in-events": "sign_in_event",
    "patients": "patient",
    "visits": "visit",
    "treatments": "treatment",
    "radiographs": "radiograph",
    "lesions": "lesion",
    "lesion-tracks": "track",
    "findings": "finding",
}
ADMIN_COLLECTIONS = {"memberships", "sign-in-events"}  # center admins only
PUBLIC_PATHS = {"/api/schema/", "/api/docs/", "/api/redoc/", "/health/"}
ROLES = ["anonymous", "no_role", "researcher", "clinician_b", "admin_a", "clinician_a"]
SUCCESS = {"GET": 200, "POST": 201, "PUT": 200, "PATCH": 200, "DELETE": 204}
METHODS_BY_SHAPE = {
    "public": {"GET"},
    "list": {"GET", "POST"},
    "nested": {"GET", "POST"},
    "detail": {"GET", "PUT", "PATCH", "DELETE"},
    "history": {"GET"},
}
PATH = re.compile(r"/api/v1/(?P<prefix>[a-z-]+)/(?:\{(?P<param>\w+)\}/(?:(?P<sub>[a-z-]+)/)?)?")

# What researchers must never receive (pseudonymization): identifiers and free text.
RESEARCH_HIDDEN = {"local_id", "notes", "birth_date", "other_text", "label"}
# Keys whose POSTed copy would break a uniqueness rule, and the value a new record gets instead.
CREATE_OVERRIDES = {
    "patient": {"local_id": "A-LOCAL-NEW"},
    "visit": {"date": "2024-01-10"},
    "membership": {"email": "new-colleague@a.example.org"},
}
MISSING_ID = 2_000_000_000
# File, upload and workflow operations (multipart bodies, PNG/DICOM answers, a clinical-only
# queue): their role table is tests/api/test_dicom_roles.py, which also fails if a DICOM
# operation of the schema is missing from it.
COVERED_ELSEWHERE = {
    ("POST", "/api/v1/radiographs/dicom/"),
    ("GET", "/api/v1/radiographs/{id}/preview.png"),
    ("GET", "/api/v1/radiographs/{id}/dicom"),
    ("GET", "/api/v1/dicom-unmatched/"),
    ("GET", "/api/v1/dicom-unmatched/{id}/"),
    ("POST", "/api/v1/dicom-unmatched/{id}/assign/"),
    ("GET", "/api/v1/dicom-unmatched/{id}/preview.png"),
    # The burned-in text review: tests/api/test_burned_in_review.py (same rule).
    ("POST", "/api/v1/radiographs/{id}/burned-in-review/"),
    # Progression and background tasks: tests/api/test_progression_roles.py (same rule).
    ("GET", "/api/v1/patients/{patient_pk}/progression/"),
    ("GET", "/api/v1/patients/{patient_pk}/progression/chart.svg"),
    ("GET", "/api/v1/cohort/progression/"),
    ("GET", "/api/v1/cohort/progression/chart.svg"),
    ("POST", "/api/v1/cohort/progression/recompute/"),
    ("GET", "/api/v1/tasks/"),
    ("GET", "/api/v1/tasks/{id}/"),
    # Erasure and subject access (center admins of the patient's center):
    # tests/erasure/test_erasure_roles.py.
    ("POST", "/api/v1/patients/{id}/erase/"),
    ("GET", "/api/v1/patients/{id}/subject-access/"),
    # Exports and imports: tests/exports/test_roles.py.
    ("GET", "/api/v1/exports/"),
    ("POST", "/api/v1/exports/"),
    ("GET", "/api/v1/exports/{id}/"),
    ("GET", "/api/v1/exports/{id}/download/"),
    ("GET", "/api/v1/exports/dictionary/"),
    ("POST", "/api/v1/imports/"),
    # Consent (clinical users of the center; documents written by center admins; no research
    # access): tests/consent/test_api.py.
    ("GET", "/api/v1/consent-documents/"),
    ("POST", "/api/v1/consent-documents/"),
    ("GET", "/api/v1/consent-documents/{id}/"),
    ("PUT", "/api/v1/consent-documents/{id}/"),
    ("PATCH", "/api/v1/consent-documents/{id}/"),
    ("DELETE", "/api/v1/consent-documents/{id}/"),
    ("GET", "/api/v1/consent-documents/{id}/pdf/"),
    ("GET", "/api/v1/consent-issues/"),
    ("GET", "/api/v1/patients/{patient_pk}/consent-records/"),
    ("POST", "/api/v1/patients/{patient_pk}/consent-records/"),
    ("GET", "/api/v1/patients/{patient_pk}/consent-withdrawals/"),
    ("POST", "/api/v1/patients/{patient_pk}/consent-withdrawals/"),
    # The access log (center admins and superusers): tests/api/test_access_log.py.
    ("GET", "/api/v1/access-log/"),
    ("GET", "/api/v1/access-log/csv/"),
    ("GET", "/api/v1/patients/{patient_pk}/access-log/"),
}


class UnknownOperation(Exception):
    """An operation no rule covers: the matrix must be extended for it."""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    shape: str  # public, list, nested, detail, history
    kind: str | None  # the kind of record listed or shown
    named: str | None  # the kind of record whose id the path holds
    admin: bool
    query: tuple[str, ...]  # declared query parameters
    required_query: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def shape_of(path: str, method: str) -> tuple[str, str | None, str | None, bool]:
    """(shape, listed kind, kind named by the path id, admin-only) or UnknownOperation."""
    if path in PUBLIC_PATHS:
        shape, kind, named, admin = "public", None, None, False
    else:
        match = PATH.fullmatch(path)
        if match is None or match["prefix"] not in COLLECTIONS:
            raise UnknownOperation(f"{method} {path}: path not covered by the role matrix")
        prefix, param, sub = match["prefix"], match["param"], match["sub"]
        kind = COLLECTIONS[prefix]
        admin = prefix in ADMIN_COLLECTIONS
        if param is None:
            shape, named = "list", None
        elif sub is None:
            shape, named = "detail", kind
        elif sub == "history":
            shape, named = "history", kind
        elif sub in COLLECTIONS:
            shape, named, kind = "nested", kind, COLLECTIONS[sub]
        else:
            raise UnknownOperation(f"{method} {path}: sub-path {sub!r} not covered")
    if method not in METHODS_BY_SHAPE[shape]:
        raise UnknownOperation(f"{method} {path}: method not covered for a {shape} path")
    return shape, kind, named, admin


@functools.cache
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def schema_operations() -> list[tuple[str, str, dict]]:
    """The schema's operations, plus the public pages it does not describe (itself, the docs)."""
    paths = schema()["paths"]
    described = [
        (path, method.upper(), spec)
        for path, item in paths.items()
        for method, spec in item.items()
        if method in ("get", "post", "put", "patch", "delete", "head", "options", "trace")
        and (method.upper(), path) not in COVERED_ELSEWHERE
    ]
    return described + [(path, "GET", {}) for path in sorted(PUBLIC_PATHS - set(paths))]


def operations() -> list[Operation]:
    """The operations the rules cover (the others fail ``test_every_operation_is_covered``, and
    must not stop the matrix from checking the rest)."""
    result = []
    for path, method, spec in schema_operations():
        try:
            shape, kind, named, admin = shape_of(path, method)
        except UnknownOperation:
            continue
        params = [p for p in spec.get("parameters", []) if p["in"] == "query"]
        result.append(
            Operation(
                method=method,
                path=path,
                shape=shape,
                kind=kind,
                named=named,
                admin=admin,
                query=tuple(p["name"] for p in params),
                required_query=tuple(p["name"] for p in params if p.get("required")),
            )
        )
    return result


def expected_status(role: str, op: Operation) -> int:
    """The access rules of the REST API issue, as one function of role and operation."""
    if op.shape == "public":
        return 200
    if role == "anonymous":
        return 401
    if role == "no_role":
        return 403
    if op.admin:
        return SUCCESS[op.method] if role == "admin_a" else 403
    if role == "researcher":
        return 200 if op.method == "GET" and op.shape != "history" else 403
    if role == "clinician_b":
        if op.named is not None:
            return 404  # another center's record does not exist for B
        return 400 if op.method == "POST" else 200  # the POST names center A's records
    return SUCCESS[op.method]  # clinician and center admin of center A


# --- the records ---------------------------------------------------------------------------------


def records_for(center: Center, tag: str) -> dict:
    """One record of every kind in ``center``, with the identifying fields filled."""
    patient = factories.make_patient(center, local_id=f"{tag}-LOCAL-1", notes=f"{tag} notes")
    visit = factories.make_visit(patient, ulceration=True, ulceration_site=f"{tag} left thumb")
    radiograph = factories.make_radiograph(patient, visit=visit, notes=f"{tag} film")
    track = factories.make_track(patient, label=f"{tag} thumb deposit")
    lesion = factories.make_lesion(radiograph, track=track, notes=f"{tag} lesion")
    finding = finding_save(
        finding=RadiographicFinding(radiograph=radiograph, finding="erosion", digit=2)
    )
    treatment = treatment_save(
        treatment=CalcinosisTreatment(
            patient=patient,
            visit=visit,
            treatment="other",
            other_text=f"{tag} remedy",
            started_on=date(2023, 3, 15),
        )
    )
    colleague = user_add(email=f"colleague@{tag}.example.org", center=center, role="clinician")
    return {
        "center": center,
        "patient": patient,
        "visit": visit,
        "radiograph": radiograph,
        "track": track,
        "lesion": lesion,
        "finding": finding,
        "treatment": treatment,
        "membership": Membership.objects.get(user=colleague, center=center),
        "sign_in_event": SignInEvent.objects.create(kind="signed_in", user=colleague),
    }


@dataclass
class World:
    a: dict
    b: dict
    clients: dict[str, APIClient]


def build_world() -> World:
    """Two centers with one record of each kind, the role users, and a superuser."""
    center_a = factories.make_center("a", "Center A")
    center_b = factories.make_center("b", "Center B")
    users = {
        **role_users(center_a, center_b),
        "superuser": get_user_model().objects.create_superuser("root", "root@example.org"),
    }
    return World(
        a=records_for(center_a, "a"),
        b=records_for(center_b, "b"),
        clients={role: client_for(user) for role, user in users.items()},
    )


# --- requests ------------------------------------------------------------------------------------


def url_for(op: Operation, records: dict, query: dict | None = None) -> str:
    url = op.path
    if op.named is not None:
        url = re.sub(r"\{\w+\}", str(records[op.named].pk), url)
    query = {**{name: "role matrix" for name in op.required_query}, **(query or {})}
    return f"{url}?{urlencode(query)}" if query else url


def detail_path(kind: str) -> str:
    prefix = next(p for p, k in COLLECTIONS.items() if k == kind)
    return f"/api/v1/{prefix}/{{id}}/"


def representation(world: World, kind: str) -> dict:
    """What a read returns for center A's record of ``kind`` (a write must accept it back)."""
    url = detail_path(kind).replace("{id}", str(world.a[kind].pk))
    response = world.clients["superuser"].get(url)
    assert response.status_code == 200, (url, response.content)
    return response.json()


def body_for(world: World, op: Operation) -> dict | None:
    if op.method == "PATCH":
        return {}
    if op.method == "PUT":
        return representation(world, op.kind)
    if op.method == "POST":
        return {**representation(world, op.kind), **CREATE_OVERRIDES.get(op.kind, {})}
    return None


def call(client: APIClient, method: str, url: str, body: dict | None = None):
    """One request in a savepoint rolled back afterwards: every operation sees the same records."""
    with transaction.atomic():
        response = client.generic(
            method,
            url,
            data=json.dumps(body) if body is not None else "",
            content_type="application/json",
        )
        transaction.set_rollback(True)
    return response


def keys_in(data) -> set[str]:
    if isinstance(data, dict):
        return set(data).union(*(keys_in(value) for value in data.values()))
    if isinstance(data, list):
        return set().union(*(keys_in(value) for value in data))
    return set()


def results_of(response) -> list[dict]:
    data = response.json()
    return data["results"] if isinstance(data, dict) and "results" in data else data
