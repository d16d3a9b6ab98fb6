"""Editing a visit in a real browser (issue 16): the mRSS of one site changed, the success
message; then the same edit page open in two tabs, saved in one and then in the other, where the
clear message stops the second save until the person has seen the first."""

from __future__ import annotations

import re

import pytest

from accounts.services import user_add
from patients.mrss import MRSS_SITES
from tests import factories
from tests.factories import PASSWORD
from tests.integration.test_browser import browser, login, shot  # noqa: F401 (fixtures, helpers)

EMAIL = "doc@north.example"

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def visit(live_server, center):
    user_add(email=EMAIL, center=center, role="clinician", password=PASSWORD)
    patient = factories.make_patient(center, local_id="EDIT-1")
    return factories.make_visit(patient, mrss_sites=dict.fromkeys(MRSS_SITES, 1))  # total 17


def save(page) -> None:
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state()


def test_edit_a_visit_then_a_colleagues_save_in_another_tab(browser, live_server, visit):  # noqa: F811
    """Face 1 -> 3: 17 + 2 = 19. Then tab B sets face 2 (total 18) and tab A's face 0 is refused
    with the message; saved again in A, the visit has face 0 and 17 - 1 = 16."""
    base = live_server.url
    page = login(browser, base, (EMAIL, PASSWORD))
    page.goto(f"{base}/patients/{visit.patient_id}/")
    page.get_by_role("link", name=re.compile(r"^Edit the follow-up visit of")).click()
    assert page.get_by_label("Face", exact=True).input_value() == "1"  # prefilled from the sites
    page.get_by_label("Face", exact=True).fill("3")
    assert page.inner_text("#mrss-live") == "19 / 51"
    shot(page, "edit-01-visit-form")
    save(page)
    assert re.search(r"Follow-up visit of .+ saved\.", page.inner_text(".messages"))
    assert "mRSS 19" in page.inner_text(".timeline")
    visit.refresh_from_db()
    assert visit.mrss_total == 19

    url = f"{base}/visits/{visit.pk}/edit/"
    # Two tabs of one browser: the same signed-in session.
    tabs = browser.new_context(storage_state=page.context.storage_state(), locale="en-GB")
    tab_a, tab_b = tabs.new_page(), tabs.new_page()
    tab_a.goto(url)
    tab_b.goto(url)
    tab_b.get_by_label("Face", exact=True).fill("2")
    save(tab_b)
    assert "saved." in tab_b.inner_text(".messages")

    tab_a.get_by_label("Face", exact=True).fill("0")
    save(tab_a)
    notice = tab_a.inner_text("#stale-notice")
    assert re.search(
        r"This visit was changed by someone else since you opened it \(at .+ by you, in another "
        r"window\)\. Review their version below and save again\.",
        notice,
    )
    assert re.search(r"Face\s+2\s+0", notice)  # their version beside what was typed
    assert tab_a.get_by_label("Face", exact=True).input_value() == "0"  # nothing typed is lost
    shot(tab_a, "edit-02-changed-by-someone-else")
    visit.refresh_from_db()
    assert (visit.mrss_sites["face"], visit.mrss_total) == (2, 18)

    save(tab_a)
    assert re.search(r"Follow-up visit of .+ saved\.", tab_a.inner_text(".messages"))
    visit.refresh_from_db()
    assert (visit.mrss_sites["face"], visit.mrss_total) == (0, 16)
    tabs.close()
