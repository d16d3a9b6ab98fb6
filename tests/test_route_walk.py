"""Every route of the project is in a role walk, and the clinic's routes are walked here.

The routes come from Django's URL resolver, so a route added later must land in one of the walks
or ``test_every_route_is_in_a_role_walk`` fails:

- ``admin/``: ``tests/test_admin_walk.py`` (every registered model, every page, every role);
- ``api/v1/``: ``tests/api/test_role_matrix.py`` and its DICOM and export tables, which walk
  every operation of the OpenAPI schema (the check below asks that the route be in the schema);
- public pages (sign-in, API docs, health) in ``PUBLIC``;
- the clinic in ``CLINIC``, walked below for every role.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.generators import SchemaGenerator

from tests import factories
from tests.api.role_users import role_users

pytestmark = pytest.mark.django_db

PUBLIC = {
    "",  # redirects to the patient list, which asks for a sign-in
    "login/",
    "logout/",
    "health/",
    "api/schema/",
    "api/docs/",
    "api/redoc/",
}
# Clinic route -> (URL name, the kind of object its pk names, methods walked).
CLINIC = {
    "patients/": ("clinic:patient-list", None, ["GET"]),
    "patients/new/": ("clinic:patient-create", None, ["GET", "POST"]),
    "patients/<int:pk>/": ("clinic:patient-detail", "patient", ["GET"]),
    "patients/<int:pk>/follow-up/": ("clinic:follow-up", "patient", ["GET", "POST"]),
    "radiographs/<int:pk>/": ("clinic:radiograph", "radiograph", ["GET"]),
    "radiographs/<int:pk>/burned-in-review/": (
        "clinic:radiograph-burned-in-review",
        "radiograph",
        ["POST"],
    ),
    "unmatched/": ("clinic:unmatched", None, ["GET"]),
    "unmatched/<int:pk>/assign/": ("clinic:unmatched-assign", "unmatched", ["POST"]),
}
ROLES = ["anonymous", "no_role", "researcher", "clinician_b", "admin_a", "clinician_a"]


def _routes(patterns, prefix: str = "") -> list[str]:
    routes = []
    for pattern in patterns:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes += _routes(pattern.url_patterns, text)
        elif isinstance(pattern, URLPattern):
            routes.append(text)
    return routes


def _schema_paths() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {path.lstrip("/") for path in schema["paths"]}


def test_every_route_is_in_a_role_walk():
    """A new route fails here until a walk covers it."""
    api_paths = _schema_paths()
    loose = []
    for route in _routes(get_resolver().url_patterns):
        if route.startswith(("admin/", "^static/", "static/")) or route in PUBLIC:
            continue
        if route.startswith("api/"):
            # The router's regex routes and format suffixes: compare their plain shape.
            plain = route.replace("^", "").replace("$", "").replace("\\.", ".")
            walked = plain == "api/v1/" or any(_same_shape(plain, p) for p in api_paths)
            if plain.startswith("api/v1/") and "(?P<format>" not in plain and not walked:
                loose.append(route)
            continue
        if route not in CLINIC:
            loose.append(route)
    assert not loose, f"routes in no role walk: {loose}"


def _same_shape(route: str, schema_path: str) -> bool:
    pattern = re.sub(r"\(\?P<\w+>[^)]*\)|<[\w:]+>", "X", route).rstrip("/")
    shape = re.sub(r"\{\w+\}", "X", schema_path).rstrip("/")
    return pattern == shape


@pytest.fixture
def clinic_world(center, other_center, settings, tmp_path):
    from imaging.dicom import ingest
    from tests.imaging.dicom_factory import make_dx, to_bytes

    settings.MEDIA_ROOT = str(tmp_path)
    users = role_users(center, other_center)
    patient = factories.make_patient(center, local_id="CLINIC-A-1")
    radiograph = factories.make_radiograph(patient)
    result = ingest.radiograph_ingest(
        to_bytes(make_dx(sop_instance_uid="1.2.826.0.1.3680043.8.498.4242")),
        center=center,
        via="cli",
    )
    objects = {"patient": patient, "radiograph": radiograph, "unmatched": result.instance_id}
    return users, objects


def _expected(role: str) -> str:
    if role == "anonymous":
        return "login"
    if role in ("no_role", "researcher"):
        return "forbidden"
    if role == "clinician_b":
        return "hidden"
    return "allowed"


@pytest.mark.parametrize("role", ROLES)
def test_clinic_routes_follow_the_access_rule(client, clinic_world, role):
    """Anonymous: sign-in; no role and researchers: 403; another center: 404 for A's objects;
    A's clinician and admin: the page."""
    users, objects = clinic_world
    if users[role] is not None:
        client.force_login(users[role])
    expected = _expected(role)
    for _route, (name, kind, methods) in CLINIC.items():
        obj = objects.get(kind)
        pk = getattr(obj, "pk", obj)
        url = reverse(name, args=[pk] if kind else [])
        for method in methods:
            # A form naming A's patient: the only POST whose empty form answers 404 is the
            # assignment (no patient), which must prove the rule on the image, not the form.
            form = {"patient": objects["patient"].pk}
            response = client.get(url) if method == "GET" else client.post(url, form)
            status = response.status_code
            if expected == "login":
                assert status == 302 and "/login/" in response["Location"], (url, method)
            elif expected == "forbidden":
                assert status == 403, (role, url, method, status)
            elif expected == "hidden":
                if kind:
                    assert status == 404, (role, url, method, status)
                else:
                    assert status in (200, 302, 400), (role, url, method, status)
                    assert "CLINIC-A-1" not in response.content.decode()
            else:
                assert status in (200, 302, 400), (role, url, method, status)
