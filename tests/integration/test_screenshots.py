"""The README's screenshots (docs/screenshots/, 1280 x 900 px, the demo cohort, Chromium).

Every run renders the pages and writes the pictures to test-artifacts/screenshots/; only with
REGISTRY_SCREENSHOTS=1 does it rewrite the files under version control:

    REGISTRY_SCREENSHOTS=1 .venv/bin/python -m pytest tests/integration/test_screenshots.py

A page whose route does not exist (yet) is left out; the README lists the files. The cohort
page's picture (cohort.png: a filtered cohort, whole page) is left as its page's author made it.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse

from demo.synthetic import hand_radiograph
from imaging.dicom.ingest import radiograph_ingest
from patients.models import Patient
from tests.integration.test_browser import (  # noqa: F401 (the Chromium and demo fixtures)
    CLINICIAN,
    browser,
    demo,
    image_point_on_screen,
    login,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("REGISTRY_SCREENSHOTS") == "1"
    else ROOT / "test-artifacts" / "screenshots"
)
# File name -> (URL name, the object its pk names: "patient", "radiograph" or None).
PAGES = {
    "patient-list": ("clinic:patient-list", None),
    "patient-page": ("clinic:patient-detail", "patient"),
    "follow-up": ("clinic:follow-up", "patient"),
    "patient-edit": ("clinic:patient-edit", "patient"),
    "exports": ("clinic:exports", None),
    "unmatched": ("clinic:unmatched", None),
}


def _url(name: str, obj) -> str | None:
    try:
        return reverse(name, args=[obj.pk] if obj is not None else [])
    except NoReverseMatch:
        return None


def test_readme_screenshots(browser, demo):  # noqa: F811
    """The main pages of the teaching case, then the viewer measuring its new deposit."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    patient = Patient.objects.get(local_id="TEACH-0001")
    page = login(browser, demo, CLINICIAN, width=1280, height=900)
    taken = []
    for file_name, (name, kind) in PAGES.items():
        url = _url(name, patient if kind == "patient" else None)
        if url is None:
            continue
        page.goto(demo + url)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SCREENSHOTS / f"{file_name}.png"))
        taken.append(file_name)

    image = hand_radiograph(
        patient_id="TEACH-0001", acquired_on=date(2026, 3, 17), deposit_mm=(12.0, 8.0), seed=5
    )
    result = radiograph_ingest(image.data, center=patient.center, via="api", patient=patient)
    page.goto(f"{demo}/radiographs/{result.radiograph_id}/")
    page.wait_for_function("document.getElementById('radiograph-image').naturalWidth > 0")
    page.get_by_role("button", name="Measure a new lesion").click()
    for x, y in image.deposit_axis_px:
        page.mouse.click(*image_point_on_screen(page, x, y))
    page.get_by_role("button", name="Digit 1 (thumb), distal phalanx").click()
    page.screenshot(path=str(SCREENSHOTS / "radiograph-viewer.png"))
    taken.append("radiograph-viewer")
    page.close()
    assert {"patient-list", "patient-page", "follow-up", "radiograph-viewer"} <= set(taken)
    assert all((SCREENSHOTS / f"{name}.png").stat().st_size > 10_000 for name in taken)
