"""Security review finding 11: a Content-Security-Policy and a Permissions-Policy on every page
(clinic, admin, Swagger, Redoc, API), no inline script or style in what the pages send, and a
policy that runs nothing on the SVG charts. tests/integration/test_csp_browser.py checks the same
pages in Chromium."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Center
from accounts.services import user_add
from patients.models import Patient
from registry.security_headers import PAGE_POLICY, PERMISSIONS_POLICY, SVG_POLICY
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

PAGES = ["/login/", "/admin/login/", "/api/docs/", "/api/redoc/"]
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:|//fonts\.", re.I
)
STRICT = "; ".join(PAGE_POLICY)


def directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


@pytest.mark.parametrize(
    "path",
    [*PAGES, "/api/docs/?script", "/api/schema/", "/health/", "/api/v1/patients/", "/api/nope/"],
)
def test_finding11_every_response_has_both_policies(client, path):
    """Pages, scripts, JSON and errors alike carry the policies."""
    response = client.get(path)
    assert response.status_code in (200, 401, 404), response.status_code
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'" and policy["form-action"] == "'self'"
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    assert "camera=()" in PERMISSIONS_POLICY and "microphone=()" in PERMISSIONS_POLICY


@pytest.mark.parametrize("path", PAGES)
def test_finding11_pages_carry_no_inline_script_or_style(client, path):
    """No inline <script>, <style>, style= or on*= handler, no font CDN, no external URL."""
    html = client.get(path).content.decode()
    assert not INLINE.findall(html)
    assert not re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", html)


def test_finding11_clinic_pages_of_a_signed_in_user(client, center):
    """The patient list (the clinic's own templates) under the strict policy, without a nonce."""
    client.force_login(user_add(email="doc@north.example", center=center, role="clinician"))
    response = client.get("/patients/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == STRICT
    assert not INLINE.findall(response.content.decode())


def test_finding11_only_the_redoc_page_names_a_nonce_and_it_is_fresh(client):
    """Redoc's injected styles need the nonce its init script carries; Swagger needs none."""
    assert client.get("/api/docs/")["Content-Security-Policy"] == STRICT
    nonces = []
    for _ in range(2):
        response = client.get("/api/redoc/")
        nonce = re.search(
            r"'nonce-([\w-]+)'", directives(response["Content-Security-Policy"])["style-src"]
        )[1]
        assert f'src="/static/api/redoc-init.js" nonce="{nonce}"' in response.content.decode()
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
    assert "'nonce-" not in directives(response["Content-Security-Policy"])["script-src"]


def test_finding11_swagger_init_script_is_a_separate_file(client):
    """SpectacularSwaggerSplitView: the page loads its init script from ``?script``."""
    assert '<script src="/api/docs/?script=">' in client.get("/api/docs/").content.decode()
    script = client.get("/api/docs/?script")
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content


@pytest.fixture
def north_api(db):
    call_command("seed_demo", "--patients", "0", "--no-users", stdout=StringIO(), stderr=StringIO())
    center = Center.objects.get(code="demo-north")
    return client_for(user_add(email="doc@north.example", center=center, role="clinician"))


def test_finding11_svg_charts_run_nothing(north_api):
    """A chart opened as a document of its own may not run script or load anything."""
    teaching = Patient.objects.get(local_id="TEACH-0001")
    for path in (
        f"/api/v1/patients/{teaching.pk}/progression/chart.svg",
        "/api/v1/cohort/progression/chart.svg",
    ):
        response = north_api.get(path)
        assert response.status_code == 200 and response["Content-Type"].startswith("image/svg")
        assert response["Content-Security-Policy"] == SVG_POLICY
    policy = directives(SVG_POLICY)
    assert policy["default-src"] == policy["script-src"] == "'none'"
