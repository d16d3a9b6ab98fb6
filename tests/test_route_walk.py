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
    # Single sign-on, walked by test_sso_routes_answer_every_role_alike below.
    "sso/login/",
    "sso/callback/",
    # Password reset, for people who cannot sign in: tests/accounts/test_password_reset.py
    "password/reset/",
    "password/reset/sent/",
    "password/reset/<uidb64>/<token>/",
    "password/reset/done/",
    "health/",
    "favicon.ico",  # a redirect to the static icon: tests/clinic/test_favicon.py
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
    "patients/<int:pk>/edit/": ("clinic:patient-edit", "patient", ["GET", "POST"]),
    "patients/<int:pk>/delete/": ("clinic:patient-delete", "patient", ["GET", "POST"]),
    "visits/<int:pk>/edit/": ("clinic:visit-edit", "visit", ["GET", "POST"]),
    "visits/<int:pk>/delete/": ("clinic:visit-delete", "visit", ["GET", "POST"]),
    "radiographs/<int:pk>/edit/": ("clinic:radiograph-edit", "radiograph", ["GET", "POST"]),
    "radiographs/<int:pk>/delete/": ("clinic:radiograph-delete", "radiograph", ["GET", "POST"]),
    "lesions/<int:pk>/edit/": ("clinic:lesion-edit", "lesion", ["GET", "POST"]),
    "lesions/<int:pk>/delete/": ("clinic:lesion-delete", "lesion", ["GET", "POST"]),
    "radiographs/<int:pk>/": ("clinic:radiograph", "radiograph", ["GET"]),
    "radiographs/<int:pk>/lesions/": ("clinic:radiograph-lesions", "radiograph", ["GET"]),
    "radiographs/<int:pk>/burned-in-review/": (
        "clinic:radiograph-burned-in-review",
        "radiograph",
        ["POST"],
    ),
    "unmatched/": ("clinic:unmatched", None, ["GET"]),
    "unmatched/<int:pk>/assign/": ("clinic:unmatched-assign", "unmatched", ["POST"]),
    "patients/<int:pk>/subject-access/": ("clinic:patient-subject-access", "patient", ["GET"]),
    "patients/<int:pk>/consent/": ("clinic:consent-record", "patient", ["GET", "POST"]),
    "patients/<int:pk>/consent/withdraw/": ("clinic:consent-withdraw", "patient", ["GET", "POST"]),
    "consent/follow-up/": ("clinic:consent-issues", None, ["GET"]),
    "cohort/": ("clinic:cohort", None, ["GET"]),
    "exports/": ("clinic:exports", None, ["GET", "POST"]),
}
# Routes for center admins (of the object's center) and superusers only: clinicians get 403.
ADMIN_ONLY = {"patients/<int:pk>/subject-access/"}
# Routes for every role, researchers too (what each sees comes from the access rule).
ANY_ROLE = {"cohort/", "exports/"}
# One's own export jobs, whatever one's role: route -> URL name. Walked by
# test_own_export_routes_show_only_ones_own (another person's job is 404).
OWN_JOBS = {"exports/<int:pk>/": "clinic:export-detail"}
ROLES = ["anonymous", "no_role", "researcher", "clinician_b", "admin_a", "clinician_a"]
# One's own password and session, whatever one's role: route -> (URL name, method, anonymous
# answer). Walked by test_own_account_routes_need_a_sign_in_only.
SIGNED_IN = {
    "password/": ("clinic:password-change", "GET", 302),
    "session/status/": ("clinic:session-status", "GET", 401),
    "session/keepalive/": ("clinic:session-keepalive", "POST", 401),
}
# One's own second factor, whatever one's role: route -> (URL name, method, answer to a signed-in
# person without an authenticator). Walked by test_two_factor_routes_need_a_sign_in_only.
TWO_FACTOR = {
    "two-factor/": ("clinic:two-factor", "GET", 200),
    "two-factor/enrol/": ("clinic:two-factor-enrol", "GET", 200),
    "two-factor/verify/": ("clinic:two-factor-verify", "GET", 302),  # nothing to verify
    "two-factor/backup-codes/": ("clinic:two-factor-backup-codes", "POST", 302),  # enrol first
}


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
        if not any(route in table for table in (CLINIC, SIGNED_IN, TWO_FACTOR, OWN_JOBS)):
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
    objects = {
        "patient": patient,
        "visit": factories.make_visit(patient),
        "radiograph": radiograph,
        "lesion": factories.make_lesion(radiograph),
        "unmatched": result.instance_id,
    }
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
    """Anonymous: sign-in; no role and researchers: 403 (researchers: the page on ANY_ROLE
    routes); another center: 404 for A's objects; A's clinician and admin: the page."""
    users, objects = clinic_world
    if users[role] is not None:
        client.force_login(users[role])
    for route, (name, kind, methods) in CLINIC.items():
        obj = objects.get(kind)
        pk = getattr(obj, "pk", obj)
        url = reverse(name, args=[pk] if kind else [])
        clinician = role in ("clinician_a", "clinician_b")
        expected = "forbidden" if route in ADMIN_ONLY and clinician else _expected(role)
        if route in ANY_ROLE and role == "researcher":
            expected = "allowed"
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
                # 409: an edit or delete posted without the version it was opened at (stale).
                assert status in (200, 302, 400, 409), (role, url, method, status)


@pytest.mark.parametrize("role", ROLES)
def test_own_account_routes_need_a_sign_in_only(client, center, other_center, role):
    """Anonymous: the login page (or 401 JSON); every signed-in role: its own page, 200."""
    user = role_users(center, other_center)[role]
    if user is not None:
        client.force_login(user)
    for _route, (name, method, anonymous) in SIGNED_IN.items():
        url = reverse(name)
        response = client.get(url) if method == "GET" else client.post(url)
        want = anonymous if user is None else 200
        assert response.status_code == want, (role, url, response.status_code)
        if user is None and want == 302:
            assert "/login/" in response["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_own_export_routes_show_only_ones_own(client, center, other_center, role):
    """Anonymous: the login page; no role: 403; every other role: its own job 200, another
    person's 404 (like an unknown id)."""
    users = role_users(center, other_center)
    others = factories.make_export_job(users["clinician_a" if role != "clinician_a" else "admin_a"])
    user = users[role]
    for _route, name in OWN_JOBS.items():
        if user is None:
            response = client.get(reverse(name, args=[others.pk]))
            assert response.status_code == 302 and "/login/" in response["Location"]
            continue
        client.force_login(user)
        if role == "no_role":
            assert client.get(reverse(name, args=[others.pk])).status_code == 403
            continue
        own = factories.make_export_job(user)
        assert client.get(reverse(name, args=[own.pk])).status_code == 200, (role, name)
        assert client.get(reverse(name, args=[others.pk])).status_code == 404, (role, name)


@pytest.mark.parametrize("role", ROLES)
def test_two_factor_routes_need_a_sign_in_only(client, center, other_center, role):
    """Anonymous: the login page; every signed-in role: its own two-factor pages."""
    user = role_users(center, other_center)[role]
    if user is not None:
        client.force_login(user)
    for _route, (name, method, signed_in) in TWO_FACTOR.items():
        url = reverse(name)
        response = client.get(url) if method == "GET" else client.post(url)
        want = 302 if user is None else signed_in
        assert response.status_code == want, (role, url, response.status_code)
        if user is None:
            assert response["Location"].startswith("/login/"), (role, url)
        elif want == 302:
            location = response["Location"]
            assert location == "/" or location.startswith("/two-factor/"), (role, url)


@pytest.mark.parametrize("role", ROLES)
def test_sso_routes_answer_every_role_alike(client, center, other_center, settings, role):
    """Without an issuer the SSO routes are 404; with one, "Sign in with" goes to the
    provider and a callback without its state goes back to the login page, for every role."""
    user = role_users(center, other_center)[role]
    if user is not None:
        client.force_login(user)
    assert client.get(reverse("clinic:sso-login")).status_code == 404
    assert client.get(reverse("clinic:sso-callback")).status_code == 404
    settings.REGISTRY_OIDC_ISSUER = "https://sso.hospital.example"
    settings.REGISTRY_OIDC_ENDPOINTS = {
        "authorization_endpoint": "https://sso.hospital.example/authorize"
    }
    response = client.get(reverse("clinic:sso-login"))
    assert response.status_code == 302
    assert response["Location"].startswith("https://sso.hospital.example/authorize?")
    response = client.get(reverse("clinic:sso-callback"))
    assert response.status_code == 302 and response["Location"] == reverse("clinic:login")
