"""The printable patient summary in Chromium: the Print button, and the page as paper (print.css):
no menu, buttons or forms; summary, chart and deposit table within an A4 page's width."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.integration.test_browser import CLINICIAN, browser, demo, login, shot  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "patient-print.png"
# A4 at CSS's 96 px per inch: 210 mm wide, 180 mm inside print.css's 15 mm margins.
A4_WIDTH_PX = round(210 / 25.4 * 96)
A4_TEXT_WIDTH_PX = round(180 / 25.4 * 96)


def visible(page, selector: str) -> bool:
    return page.locator(selector).first.is_visible()


def test_patient_summary_prints_on_a4(browser, demo):  # noqa: F811
    page = login(browser, demo, CLINICIAN)
    # The Print button calls window.print(): replaced here by a flag (headless has no dialog).
    page.add_init_script("window.print = () => { window.__printed = true; };")
    page.get_by_label("Registry or local id").fill("TEACH-0001")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="SSC-TEACH0001").click()
    page.get_by_role("button", name="Print summary").click()
    assert page.evaluate("window.__printed === true")

    page.set_viewport_size({"width": A4_WIDTH_PX, "height": 1123})
    page.emulate_media(media="print")
    for hidden in ("header.topbar", "button", ".button", "form", ".record-actions"):
        assert not visible(page, hidden), hidden
    for shown in ("#summary-h", ".facts", ".chart svg", "table.tracks", ".print-only"):
        assert visible(page, shown), shown
    assert "Printed " in page.inner_text(".print-only")
    # The chart scales to the paper's width; the deposit table's rows are whole.
    chart_width = page.locator(".chart svg").bounding_box()["width"]
    assert chart_width <= A4_WIDTH_PX
    assert (
        page.evaluate("getComputedStyle(document.querySelector('table.tracks tr')).breakInside")
        == "avoid"
    )
    shot(page, "patient-print")
    if os.environ.get("REGISTRY_UPDATE_DOCS_SCREENSHOTS"):
        page.screenshot(path=str(DOCS_SCREENSHOT), full_page=True)

    # Chromium's own A4 rendering: its pages (counted from the PDF's page objects).
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pdf.startswith(b"%PDF") and 1 <= pages <= 4, pages
