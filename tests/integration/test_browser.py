"""The clinic web app in a real browser: Debian's Chromium driven by Playwright against a live
server on loopback. Screenshots of each page are written to test-artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from demo.synthetic import hand_radiograph
from imaging.dicom.ingest import radiograph_ingest
from patients.models import Patient, Visit
from tests.conftest import missing_service

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CLINICIAN = ("clinician@demo-north.example.org", "demo-clinician-2026")
OTHER_CLINICIAN = ("clinician@demo-lake.example.org", "demo-clinician-2026")
UNLABELLED_INPUTS = """Array.from(document.querySelectorAll(
    'input:not([type=hidden]), select, textarea')).filter(el =>
    !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.name)"""

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        missing_service("Debian chromium at /usr/bin/chromium (scripts/install-system-packages.sh)")
    from playwright.sync_api import sync_playwright

    # The sync Playwright loop runs in this thread; Django's ORM refuses async contexts otherwise.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def demo(live_server):
    """The teaching case (with its synthetic DICOM images) and the demo logins."""
    call_command("seed_demo", "--patients", "6", stdout=StringIO(), stderr=StringIO())
    return live_server.url


def login(browser, base: str, who: tuple[str, str], width: int = 1280, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height}, locale="en-GB")
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/patients/")
    return page


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def image_point_on_screen(page, x: float, y: float) -> tuple[float, float]:
    """Where image pixel (x, y) is on the screen, through the overlay's own transform."""
    return tuple(
        page.evaluate(
            """([x, y]) => { const o = document.getElementById('overlay');
            const p = o.createSVGPoint(); p.x = x; p.y = y;
            const s = p.matrixTransform(o.getScreenCTM()); return [s.x, s.y]; }""",
            [x, y],
        )
    )


def test_follow_up_with_a_lesion_measured_on_the_radiograph(browser, demo):
    """The teaching case's thumb deposit was 15 -> 17 -> 19.5 mm (status progression). A new
    follow-up image measured at 12 mm (80 px at 0.15 mm/px) is 3.5 mm below the nadir of 15 mm,
    not a progression; baseline 15 - 12 = 3 >= 2 mm but 12 > 0.75 * 15 = 11.25, so not a
    regression either: the left hand, and so the patient, become "stable"."""
    page = login(browser, demo, CLINICIAN)
    shot(page, "01-patient-list")
    page.get_by_label("Registry or local id").fill("TEACH-0001")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="SSC-TEACH0001").click()
    assert page.locator(".facts .badge").inner_text() == "Progression"
    assert "score 10" in page.inner_text(".facts")
    shot(page, "02-patient-page")

    page.get_by_role("link", name="Add follow-up").click()
    page.get_by_label("Date").fill("2026-03-17")
    page.get_by_label("Calcinosis pain (NRS 0-10)").fill("4")
    shot(page, "03-follow-up-form")
    page.get_by_role("button", name="Save follow-up").click()
    assert "Follow-up saved" in page.inner_text(".messages")

    # The PACS sends the day's PA; the clinician measures the deposit on it.
    patient = Patient.objects.get(local_id="TEACH-0001")
    image = hand_radiograph(
        patient_id="TEACH-0001", acquired_on=date(2026, 3, 17), deposit_mm=(12.0, 8.0), seed=5
    )
    result = radiograph_ingest(image.data, center=patient.center, via="api", patient=patient)
    assert result.outcome == "imported"
    page.goto(f"{demo}/radiographs/{result.radiograph_id}/")
    page.wait_for_function("document.getElementById('radiograph-image').naturalWidth > 0")
    page.get_by_role("button", name="Measure a new lesion").click()
    (x1, y1), (x2, y2) = image.deposit_axis_px
    for x, y in ((x1, y1), (x2, y2)):
        page.mouse.click(*image_point_on_screen(page, x, y))
    assert page.inner_text("#f-longest") == "12.0 mm (approximate)"
    page.get_by_role("button", name="Digit 1 (thumb), distal phalanx").click()
    page.get_by_label("Tissue plane").select_option("soft_tissue")
    shot(page, "04-radiograph-viewer")
    page.get_by_role("button", name="Save lesion").click()
    thumb = "Left thumb, distal phalanx, soft tissue"
    confirmation = page.get_by_role("status").filter(has_text="Lesion saved")
    confirmation.wait_for()
    # Matched to the teaching case's thumb deposit, named for people (imaging.track_names).
    assert confirmation.inner_text() == (
        f"Lesion saved: {thumb} — 12.0 mm. Deposit: {thumb} — since Mar 2023."
    )
    assert f"12.0 mm approximate\t{thumb} — since Mar 2023" in page.inner_text("table")

    page.goto(f"{demo}/patients/{patient.pk}/")
    assert page.locator(".facts .badge").inner_text() == "Stable"
    last_cell = page.locator("table.tracks tbody tr").first.locator("td").last.inner_text()
    assert last_cell == "12.0 mm Stable"  # -3 mm is 20 % of 15 mm: under the 25 % cut-off
    assert "12.0 mm, 1 lesion" in page.inner_html(".chart")  # one decimal everywhere
    # One radiograph that day (the PACS image): the follow-up form added none of its own.
    assert patient.radiographs.filter(acquired_on=date(2026, 3, 17)).count() == 1
    shot(page, "05-patient-page-after-follow-up")
    page.close()


def test_another_centers_clinician_cannot_open_the_patient(browser, demo):
    patient = Patient.objects.get(local_id="TEACH-0001")
    page = login(browser, demo, OTHER_CLINICIAN)
    response = page.goto(f"{demo}/patients/{patient.pk}/")
    assert response.status == 404
    page.goto(f"{demo}/patients/?q=TEACH")
    assert "SSC-TEACH0001" not in page.content()
    page.close()


def test_form_error_keeps_the_typed_values(browser, demo):
    patient = Patient.objects.get(local_id="TEACH-0001")
    page = login(browser, demo, CLINICIAN)
    page.goto(f"{demo}/patients/{patient.pk}/follow-up/")
    page.get_by_label("Date").fill("2026-03-17")
    page.get_by_label("Calcinosis pain (NRS 0-10)").fill("11")
    page.get_by_label("Ulceration site").fill("left thumb pulp")
    page.get_by_role("button", name="Save follow-up").click()
    error = page.locator("#id_calcinosis_pain_nrs-error")
    assert "must be between 0 and 10" in error.inner_text()  # registry.db_rules
    assert page.get_by_label("Ulceration site").input_value() == "left thumb pulp"
    assert page.get_by_label("Calcinosis pain (NRS 0-10)").input_value() == "11"
    assert not Visit.objects.filter(patient=patient, date="2026-03-17").exists()
    shot(page, "06-follow-up-error")
    page.close()


@pytest.mark.parametrize("width", [1280, 820])
def test_pages_fit_desktop_and_tablet(browser, demo, width):
    """No horizontal scrolling at 1280 px or at tablet width (820 px); every input labelled."""
    patient = Patient.objects.get(local_id="TEACH-0001")
    radiograph = patient.radiographs.filter(dicom_instance__isnull=False).first()
    page = login(browser, demo, CLINICIAN, width=width, height=1100)
    pages = {
        "patient-list": "/patients/",
        "patient": f"/patients/{patient.pk}/",
        "follow-up": f"/patients/{patient.pk}/follow-up/",
        "viewer": f"/radiographs/{radiograph.pk}/",
        "unmatched": "/unmatched/",
    }
    for name, url in pages.items():
        page.goto(demo + url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (url, overflow)
        unlabelled = page.evaluate(UNLABELLED_INPUTS)
        assert unlabelled == [], (url, unlabelled)
        shot(page, f"07-{name}-{width}")
    page.close()
