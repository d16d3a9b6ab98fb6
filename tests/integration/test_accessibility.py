"""Accessibility (issue 16): axe-core, run by Playwright in Debian's Chromium, finds no WCAG 2.1
A or AA violation on any page, signed in as each role.

The pages come from the role walk tables of ``tests/test_route_walk.py`` (``CLINIC``,
``SIGNED_IN``, ``TWO_FACTOR``, ``PUBLIC``) and their objects from its ``clinic_world``, so a page
added to the walk is audited here too. Each role audits whatever each page answers it (the page,
a 403 or 404 page, the sign-in page it is sent to): that is what the person sees. The admin's
index and one changelist are audited for the roles that reach them. A second test audits the
states a page goes through: errors beside the fields, the viewer measuring, a full patient page.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from demo.synthetic import hand_radiograph
from imaging.dicom.ingest import radiograph_ingest
from patients.models import Patient
from tests.a11y import audit, axe_required, report
from tests.accounts.two_factor_helpers import enrol, totp_code
from tests.integration.test_browser import (  # noqa: F401 (the Chromium and demo fixtures)
    CLINICIAN,
    browser,
    demo,
    image_point_on_screen,
)
from tests.test_route_walk import (  # noqa: F401 (clinic_world: the walk's objects and users)
    ADMIN_ONLY,
    CLINIC,
    PUBLIC,
    ROLES,
    SIGNED_IN,
    TWO_FACTOR,
    clinic_world,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ADMIN_PAGES = ["admin:index", "admin:patients_patient_changelist"]
# Roles that open every clinic page (the walk's "allowed"; clinicians not the ADMIN_ONLY ones):
# they must get the pages themselves, so the audit cannot pass by seeing only refusals.
CLINICAL = {"clinician_a", "admin_a", "superuser"}
ADMINISTERS = {"admin_a", "superuser"}
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")
# Violations in other people's code that no stylesheet of ours can fix, by page: Swagger UI
# (drf-spectacular-sidecar) puts the "copy" and lock buttons inside each operation's summary
# button. Its colours are ours to fix, and are (api/static/api/swagger-a11y.css).
THIRD_PARTY = {"/api/docs/": {"nested-interactive"}}


@pytest.fixture(autouse=True)
def _axe():
    axe_required()


def _context(browser):  # noqa: F811
    return browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", bypass_csp=True
    )


def _signed_in_context(browser, base: str, user):  # noqa: F811
    """A browser context holding a session of ``user`` (Django's force_login)."""
    client = Client()
    client.force_login(user)
    context = _context(browser)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": base}])
    return context


def _clinic_urls(objects: dict) -> list[tuple[str, str]]:
    """(route, path) of every clinic page a GET opens, from the walk's table."""
    urls = []
    for route, (name, kind, methods) in CLINIC.items():
        if "GET" in methods:
            obj = objects.get(kind)
            urls.append((route, reverse(name, args=[getattr(obj, "pk", obj)] if kind else [])))
    return urls


def _public_urls(user) -> list[tuple[str, str]]:
    """(route, path) of the public pages; the password reset link is a real one for ``user``."""
    values = {
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    return [(route, "/" + PARAMETER.sub(lambda m: values[m[1]], route)) for route in PUBLIC]


def _own_account_urls() -> list[tuple[str, str]]:
    tables = [*SIGNED_IN.items(), *TWO_FACTOR.items()]
    return [(route, reverse(name)) for route, (name, method, _answer) in tables if method == "GET"]


def _html_page(response) -> bool:
    """A whole HTML document: not JSON, YAML or a download, nor a fragment a page fetches into
    itself."""
    if "text/html" not in response.headers.get("content-type", ""):
        return False
    return "<html" in response.text()[:500].lower()


def _walk(page, base: str, urls: list[tuple[str, str]], who: str) -> tuple[dict, dict]:
    """Audit each HTML page the URLs land on, once per landing page: violations by page, and
    the status each route answered."""
    found, answered, seen = {}, {}, set()
    for route, path in urls:
        probe = page.request.get(base + path)  # the page's cookies; a download stays a response
        answered[route] = probe.status
        if not _html_page(probe):
            continue
        # The API's documentation pages draw themselves from the schema once loaded.
        page.goto(base + path, wait_until="networkidle" if route.startswith("api/") else "load")
        landing = page.url.split("?")[0]
        if landing in seen:
            continue
        seen.add(landing)
        known = THIRD_PARTY.get(path, set())
        violations = [violation for violation in audit(page) if violation["id"] not in known]
        found[f"{who} {path} -> {landing.removeprefix(base)} ({probe.status})"] = violations
    return found, answered


def _verified_superuser_page(browser, base: str):  # noqa: F811
    """A superuser with an authenticator, signed in and past the verification page (audited)."""
    user = get_user_model().objects.create_superuser("root@a.example.org", "root@a.example.org")
    device, _codes = enrol(user)
    context = _signed_in_context(browser, base, user)
    page = context.new_page()
    page.goto(f"{base}/patients/")
    page.wait_for_url("**/two-factor/verify/**")
    found = {f"superuser {page.url.removeprefix(base)}": audit(page)}
    page.get_by_label("Code").fill(totp_code(device))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{base}/patients/")
    return context, page, found


@pytest.mark.parametrize("role", [*ROLES, "superuser"])
def test_every_page_of_every_role_passes_axe(browser, live_server, clinic_world, role):  # noqa: F811
    """Every page each role can open (and the refusals it meets) has no WCAG 2.1 A/AA
    violation: the walk's clinic pages, one's own account pages, the admin's index and a
    changelist; anonymous visitors the public pages."""
    users, objects = clinic_world
    base = live_server.url
    found = {}
    if role == "anonymous":
        context = _context(browser)
        page = context.new_page()
        urls = _public_urls(users["clinician_a"])
        urls += [("admin/login/", reverse("admin:login"))]
    elif role == "superuser":
        context, page, found = _verified_superuser_page(browser, base)
        urls = _clinic_urls(objects) + _own_account_urls()
    else:
        context = _signed_in_context(browser, base, users[role])
        page = context.new_page()
        urls = _clinic_urls(objects) + _own_account_urls()
    if role != "anonymous":
        urls += [(name, reverse(name)) for name in ADMIN_PAGES]
    walked, answered = _walk(page, base, urls, role)
    found.update(walked)
    context.close()

    assert found, f"{role}: no page audited"
    if role in CLINICAL:
        for route, (_name, _kind, methods) in CLINIC.items():
            if "GET" in methods and not (route in ADMIN_ONLY and role.startswith("clinician")):
                assert answered[route] < 403, (role, route, answered[route])
    if role in ADMINISTERS:
        assert all(answered[name] == 200 for name in ADMIN_PAGES), (role, answered)
    failures = {where: violations for where, violations in found.items() if violations}
    assert not failures, "\n" + report(failures)


def _teaching_case(demo: str):  # noqa: F811
    patient = Patient.objects.get(local_id="TEACH-0001")
    measured = patient.radiographs.filter(lesions__isnull=False).distinct().first()
    return patient, measured


def test_page_states_pass_axe(browser, demo):  # noqa: F811
    """The states a page goes through have no WCAG 2.1 A/AA violation either: the sign-in
    refused, forms with errors beside the fields, the teaching case's full patient page, the
    viewer with stored lesions and with a measurement being made."""
    patient, measured = _teaching_case(demo)
    found = {}
    context = _context(browser)
    page = context.new_page()
    page.goto(f"{demo}/login/")
    page.get_by_label("E-mail").fill(CLINICIAN[0])
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    found["login refused"] = audit(page)
    page.get_by_label("E-mail").fill(CLINICIAN[0])
    page.get_by_label("Password").fill(CLINICIAN[1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{demo}/patients/")

    page.goto(f"{demo}/patients/?q=TEACH")
    found["patient list filtered"] = audit(page)
    page.goto(f"{demo}/patients/{patient.pk}/")
    found["teaching patient page"] = audit(page)

    page.goto(f"{demo}/patients/{patient.pk}/follow-up/")
    page.get_by_label("Date").fill("2026-03-17")
    page.get_by_label("Calcinosis pain (NRS 0-10)").fill("11")
    page.get_by_role("button", name="Save follow-up").click()
    page.locator("#id_calcinosis_pain_nrs-error").wait_for()
    found["follow-up with errors"] = audit(page)

    page.goto(f"{demo}/patients/new/")
    page.get_by_role("button", name="Create patient").click()
    page.locator(".errorlist").first.wait_for()
    found["new patient with errors"] = audit(page)

    page.goto(f"{demo}/password/")
    page.get_by_role("button", name="Change password").click()
    page.locator(".errorlist").first.wait_for()
    found["password change with errors"] = audit(page)

    page.goto(f"{demo}/radiographs/{measured.pk}/")
    page.wait_for_function("document.getElementById('radiograph-image').naturalWidth > 0")
    found["viewer with stored lesions"] = audit(page)

    image = hand_radiograph(
        patient_id="TEACH-0001", acquired_on=date(2026, 3, 17), deposit_mm=(12.0, 8.0), seed=5
    )
    result = radiograph_ingest(image.data, center=patient.center, via="api", patient=patient)
    page.goto(f"{demo}/radiographs/{result.radiograph_id}/")
    page.wait_for_function("document.getElementById('radiograph-image').naturalWidth > 0")
    page.get_by_role("button", name="Measure a new lesion").click()
    for x, y in image.deposit_axis_px:
        page.mouse.click(*image_point_on_screen(page, x, y))
    assert page.inner_text("#f-longest") == "12.0 mm (approximate)"
    page.get_by_role("button", name="Digit 1 (thumb), distal phalanx").click()
    found["viewer measuring"] = audit(page)
    context.close()

    failures = {where: violations for where, violations in found.items() if violations}
    assert not failures, "\n" + report(failures)
