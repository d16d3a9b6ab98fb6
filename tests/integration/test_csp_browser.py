"""Security review finding 11 in a real browser: Debian's Chromium walks the clinic, the admin,
Swagger UI and Redoc under the registry's Content-Security-Policy. Not one violation, not one
request to another host, and both API documentation pages actually render."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from tests.integration import test_browser

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# test_browser's Chromium (Debian's, its launch arguments) and its seeded demo on a live server.
browser = test_browser.browser
demo = test_browser.demo
CLINICIAN = test_browser.CLINICIAN

ADMIN = ("root@example.org", "synthetic-admin-2026")
# Installed before any page script runs: the browser's own report of each refused resource.
RECORD_VIOLATIONS = """window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => window.cspViolations.push(
    `${event.effectiveDirective} refused ${event.blockedURI} (${event.sourceFile})`));"""


class Watched:
    """A browser context whose CSP violations (event and console) and foreign requests are kept."""

    def __init__(self, browser, base: str):
        self.base = base
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.context.on("console", self._console)
        self.context.on("request", self._request)
        self.page = self.context.new_page()
        self.violations: list[str] = []
        self.foreign: list[str] = []

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(message.text)

    def _request(self, request) -> None:
        url = urlsplit(request.url)
        if url.scheme not in ("data", "blob") and url.netloc != urlsplit(self.base).netloc:
            self.foreign.append(request.url)

    def visit(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.settle()

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")
        self.violations += self.page.evaluate("window.cspViolations.splice(0)")


def test_finding11_pages_render_without_csp_violations_or_foreign_requests(browser, demo):
    """Clinic sign-in, patient list and page, admin index, Swagger UI, Redoc: all clean."""
    get_user_model().objects.create_superuser(ADMIN[0], ADMIN[0], ADMIN[1])
    watched = Watched(browser, demo)
    page = watched.page

    watched.visit("/login/")
    page.get_by_label("E-mail").fill(CLINICIAN[0])
    page.get_by_label("Password").fill(CLINICIAN[1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{demo}/patients/")
    watched.settle()
    page.get_by_role("link", name="SSC-TEACH0001").click()
    page.locator(".chart svg").wait_for()  # the progression chart, inline SVG
    watched.settle()

    watched.visit("/admin/login/")
    page.locator("#id_username").fill(ADMIN[0])
    page.locator("#id_password").fill(ADMIN[1])
    page.locator("input[type=submit]").click()
    page.get_by_role("heading", name="Site administration").wait_for()
    watched.settle()

    watched.visit("/api/docs/")
    operation = page.locator(".swagger-ui .opblock-summary").first
    operation.wait_for()
    operation.click()  # an expanded operation renders its parameters and response samples
    page.locator(".swagger-ui .opblock-body").first.wait_for()
    watched.settle()

    watched.visit("/api/redoc/")
    page.locator("#redoc-container h1").first.wait_for()
    page.locator("#redoc-container [role=menuitem]").first.wait_for()
    watched.settle()

    watched.context.close()
    assert watched.violations == []
    assert watched.foreign == []
