"""Keyboard only (issue 16): the follow-up form filled and saved without a mouse, in Debian's
Chromium. Every stop of the Tab key shows where the focus is (WCAG 2.1.1 keyboard, 2.4.3 focus
order, 2.4.7 focus visible)."""

from __future__ import annotations

from datetime import date

import pytest

from patients.models import Patient, Visit
from tests.integration.test_browser import CLINICIAN, browser, demo, login, shot  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# What has the focus, and whether it is drawn: an outline of 2 px or more (or the browser's own).
FOCUSED = """() => { const el = document.activeElement; const style = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), id: el.id, name: el.name || '',
          text: (el.innerText || el.value || '').trim().slice(0, 40),
          outline: style.outlineStyle, width: parseFloat(style.outlineWidth) || 0}; }"""
FOCUS_VISIBLE_RULES = """() => Array.from(document.styleSheets).flatMap(sheet => {
  try { return Array.from(sheet.cssRules); } catch (e) { return []; } })
  .filter(rule => rule.selectorText && rule.selectorText.includes(':focus-visible'))
  .filter(rule => { const outline = rule.style.outline || rule.style.outlineStyle;
    return outline && !outline.includes('none'); })
  .map(rule => rule.selectorText)"""
MAX_TAB_STOPS = 400


def _drawn(focused: dict) -> bool:
    return focused["outline"] == "auto" or (focused["outline"] != "none" and focused["width"] >= 2)


def tab_to(page, matches: str, *, stops: list[dict]) -> dict:
    """Press Tab until the focused element matches the CSS selector ``matches``; each stop is
    appended to ``stops`` and must show its focus."""
    for _ in range(MAX_TAB_STOPS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        # A date field's parts (day, month, year, the calendar button) are stops inside the
        # field, drawn by Chromium in its own shadow tree: the field was checked on entry.
        inside = bool(stops) and (stops[-1]["id"], stops[-1]["name"]) == (
            focused["id"],
            focused["name"],
        )
        stops.append(focused)
        assert inside or _drawn(focused), f"focus not visible on {focused}"
        if page.evaluate("(selector) => document.activeElement.matches(selector)", matches):
            return focused
    raise AssertionError(f"{matches} not reached in {MAX_TAB_STOPS} Tab stops: {stops[-10:]}")


def test_follow_up_by_keyboard_only(browser, demo):  # noqa: F811
    """Skip link, then Tab through the visit's fields typing the values, selects changed with
    an arrow key and by typing, Tab on to "Save follow-up" and Enter: the patient page says it
    was saved, and the visit holds what was typed."""
    patient = Patient.objects.get(local_id="TEACH-0001")
    page = login(browser, demo, CLINICIAN)
    assert page.evaluate(FOCUS_VISIBLE_RULES), "no :focus-visible outline rule in the CSS"
    page.goto(f"{demo}/patients/{patient.pk}/follow-up/")
    stops: list[dict] = []

    skip = tab_to(page, "a.skip", stops=stops)
    assert skip["text"] == "Skip to content" and len(stops) == 1  # the first stop of the page
    page.keyboard.press("Enter")
    tab_to(page, "#id_date", stops=stops)
    assert len(stops) <= 3, stops  # the skip link leads past the menu, straight to the form
    # Chromium orders a date field's parts by its own locale (day or month first): 3 March
    # types the same either way.
    page.keyboard.type("03032026")
    assert page.input_value("#id_date") == "2026-03-03"

    tab_to(page, "#id_visit_type", stops=stops)
    assert page.input_value("#id_visit_type") == "follow_up"
    page.keyboard.press("ArrowDown")
    assert page.input_value("#id_visit_type") == "unscheduled"

    tab_to(page, "#id_calcinosis_pain_nrs", stops=stops)
    page.keyboard.type("4")
    tab_to(page, "#id_digital_ulcer_count", stops=stops)
    page.keyboard.type("2")
    tab_to(page, "#id_ulceration", stops=stops)
    page.keyboard.type("Y")  # a closed select takes the option whose name starts so
    assert page.input_value("#id_ulceration") == "true"
    tab_to(page, "#id_ulceration_site", stops=stops)
    page.keyboard.type("left thumb pulp")
    tab_to(page, "#id_mrss_total", stops=stops)
    page.keyboard.type("12")
    shot(page, "08-follow-up-keyboard")

    save = tab_to(page, "button[type=submit].primary", stops=stops)
    assert save["text"] == "Save follow-up"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.split("#")[0] == f"{demo}/patients/{patient.pk}/"  # #main: the skip link
    assert "Follow-up saved" in page.inner_text(".messages")

    visit = Visit.objects.get(patient=patient, date=date(2026, 3, 3))
    assert visit.visit_type == "unscheduled"
    assert (visit.calcinosis_pain_nrs, visit.digital_ulcer_count, visit.mrss_total) == (4, 2, 12)
    assert visit.ulceration and visit.ulceration_site == "left thumb pulp"
    page.close()
