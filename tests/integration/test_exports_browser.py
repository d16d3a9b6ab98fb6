"""Issue #16 in a real browser: a researcher signs in, lands on their home, requests every level
in one CSV package, sees it finish and downloads the zip, whose files join on the pseudonym."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from patients.models import Patient
from tests.integration.test_browser import browser, demo, shot  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RESEARCHER = ("researcher@demo-north.example.org", "demo-researcher-2026")
LEVEL_FILES = (
    "patients.csv", "visits.csv", "radiographs.csv", "lesions.csv", "progression_timepoints.csv"
)


def _pseudonyms(archive: zipfile.ZipFile, name: str) -> set[str]:
    return {row["patient"] for row in csv.DictReader(io.StringIO(archive.read(name).decode()))}


def test_a_researcher_exports_every_level_and_the_files_join(browser, demo, settings):  # noqa: F811
    settings.REGISTRY_MIN_CELL_SIZE = 1  # the demo cohort of six is below the default
    settings.REGISTRY_EXPORT_RESEARCH_GENERALIZE = False  # and below K: all would be suppressed
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page.goto(f"{demo}/login/")
    page.get_by_label("E-mail").fill(RESEARCHER[0])
    page.get_by_label("Password").fill(RESEARCHER[1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert "/login/" not in page.url and "/patients/" not in page.url  # the researcher's home
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Exports").click()
    page.wait_for_url(f"{demo}/exports/")
    page.get_by_label("Every level, one package (files join on the patient pseudonym)").check()
    page.get_by_label("Format").select_option("csv")
    page.get_by_label("Project key").fill("DEMO-PROJECT-KEY")
    shot(page, "exports-01-request")
    page.get_by_role("button", name="Request the export").click()
    page.wait_for_url(f"{demo}/exports/*/")
    # Eager tasks finish before the redirect; with a worker the page polls and reloads.
    page.get_by_role("link", name="Download zip").wait_for(timeout=60_000)
    assert "DEMO-PROJECT-KEY" not in page.content()
    assert "How the files join" in page.inner_text("main")
    shot(page, "exports-02-finished")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download zip").click()
    archive = zipfile.ZipFile(download.value.path())
    assert set(LEVEL_FILES) <= set(archive.namelist())
    everyone = _pseudonyms(archive, "patients.csv")
    assert everyone and len(everyone) <= Patient.objects.count()
    for name in LEVEL_FILES[1:]:
        assert _pseudonyms(archive, name) <= everyone, name
    assert _pseudonyms(archive, "visits.csv") and _pseudonyms(archive, "lesions.csv")
    page.close()
