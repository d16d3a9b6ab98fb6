"""The cohort page in a real browser (issue #16): a clinician filters by subtype; the status
table, the Kaplan-Meier chart and its numbers at risk render, under the page's CSP."""

from __future__ import annotations

import re

import pytest

from patients.models import Patient
from tests.integration import test_browser

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# test_browser's Chromium (Debian's, its launch arguments) and its seeded demo on a live server.
browser = test_browser.browser
demo = test_browser.demo
RECORD_VIOLATIONS = """window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) =>
    window.cspViolations.push(`${event.effectiveDirective} refused ${event.blockedURI}`));"""


def test_clinician_filters_the_cohort_and_reads_the_curve(browser, demo):
    page = test_browser.login(browser, demo, test_browser.CLINICIAN)
    page.add_init_script(RECORD_VIOLATIONS)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cohort").click()
    page.wait_for_url(f"{demo}/cohort/")
    page.get_by_label("Subtype").select_option("limited_cutaneous")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r".*/cohort/\?.*ssc_subtype=limited_cutaneous.*"))
    # The teaching case (limited cutaneous, demo-north) progressed: at least one such patient.
    limited = Patient.objects.filter(center__code="demo-north", ssc_subtype="limited_cutaneous")
    status_table = page.get_by_role("table", name="Patients per current progression status")
    progression = status_table.get_by_role("row").filter(has_text="Progression").first
    assert int(progression.get_by_role("cell").first.inner_text()) >= 1
    assert f"{limited.count()} patient" in page.inner_text("#counts-head + p")
    chart = page.get_by_role("img", name=re.compile("Kaplan-Meier estimate"))
    assert chart.is_visible()
    at_risk = [int(text) for text in chart.locator("text.at-risk").all_text_contents()]
    assert at_risk and at_risk[0] >= 1 and at_risk == sorted(at_risk, reverse=True)
    # The step values open beside the chart; the first step's "at risk" is year 0's number.
    page.locator("summary", has_text="values").click()
    steps = page.get_by_role("table", name=re.compile("Product-limit steps"))
    assert steps.get_by_role("row").count() >= 2
    assert page.evaluate("window.cspViolations") == []
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert page.evaluate(test_browser.UNLABELLED_INPUTS) == []
    test_browser.shot(page, "cohort")
    page.close()
