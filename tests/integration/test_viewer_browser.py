"""The radiograph viewer in a real browser (issue #16): "Save lesion" waits for a measurement and
a followable site, a saved lesion is confirmed and listed without leaving the page, listed
lesions are edited and removed through the API (If-Match: a colleague's change is not
overwritten), and a lesion is measured with the keyboard alone.

The teaching case's synthetic PA (demo.synthetic) is 1100 x 1400 pixels at 0.15 mm per pixel
(ImagerPixelSpacing only: "approximate")."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from demo.synthetic import hand_radiograph
from imaging.dicom.ingest import radiograph_ingest
from imaging.models import CalcinosisLesion, Radiograph
from imaging.services import lesion_save
from patients.models import Patient
from tests.integration import test_browser, test_csp_browser

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

browser = test_browser.browser
demo = test_browser.demo
CLINICIAN = test_browser.CLINICIAN
THUMB = "Left thumb, distal phalanx, soft tissue"
TEACHING_DEPOSIT = f"{THUMB} — since Mar 2023"  # the teaching case's baseline, 2023-03-15


def new_radiograph(seed: int = 5):
    """A follow-up PA of the teaching case's left hand, received as DICOM, with its image."""
    patient = Patient.objects.get(local_id="TEACH-0001")
    image = hand_radiograph(
        patient_id="TEACH-0001", acquired_on=date(2026, 3, 17), deposit_mm=(12.0, 8.0), seed=seed
    )
    result = radiograph_ingest(image.data, center=patient.center, via="api", patient=patient)
    assert result.outcome == "imported"
    return Radiograph.objects.get(pk=result.radiograph_id), image


def open_viewer(browser, base: str, radiograph: Radiograph):
    page = test_browser.login(browser, base, CLINICIAN)
    page.add_init_script(test_csp_browser.RECORD_VIOLATIONS)  # the site's strict CSP
    page.goto(f"{base}/radiographs/{radiograph.pk}/")
    page.wait_for_function("document.getElementById('radiograph-image').naturalWidth > 0")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    return page


def stored_lesion(radiograph: Radiograph, **fields) -> CalcinosisLesion:
    values = {"digit": 1, "segment": "distal_phalanx", "tissue": "soft_tissue"}
    values.update(fields)
    return lesion_save(lesion=CalcinosisLesion(radiograph=radiograph, **values))


def status_text(page, starting: str) -> str:
    status = page.locator("#lesion-status").filter(has_text=starting)
    status.wait_for()
    return status.inner_text()


def test_save_waits_for_measurement_and_site_then_confirms_and_lists(browser, demo):
    """A phalanx needs its digit (DOMAIN.md "A lesion's site"); the tissue plane may stay
    unknown. Saved: confirmed, listed, drawn, and the page was not reloaded."""
    radiograph, image = new_radiograph()
    page = open_viewer(browser, demo, radiograph)
    save = page.get_by_role("button", name="Save lesion")
    hint = page.locator("#save-hint")
    assert save.is_disabled()
    assert save.get_attribute("aria-describedby") == "save-hint"
    assert hint.inner_text() == (
        "To save: measure the longest diameter on the image; choose the segment (where on the "
        "hand)."
    )

    page.get_by_role("button", name="Measure a new lesion").click()
    for x, y in image.deposit_axis_px:
        page.mouse.click(*test_browser.image_point_on_screen(page, x, y))
    assert page.inner_text("#f-longest") == "12.0 mm (approximate)"
    assert save.is_disabled()
    assert hint.inner_text() == "To save: choose the segment (where on the hand)."
    page.get_by_label("Segment", exact=True).select_option("distal_phalanx")
    assert save.is_disabled()
    assert hint.inner_text() == "To save: choose the digit."
    page.get_by_label("Digit", exact=True).select_option("1")
    assert save.is_enabled() and hint.inner_text() == ""
    # The drawn hand follows the selects.
    thumb_tip = page.get_by_role("button", name="Digit 1 (thumb), distal phalanx")
    assert thumb_tip.get_attribute("aria-pressed") == "true"

    save.click()
    thumb = "Left thumb, distal phalanx"  # tissue plane left unknown
    assert status_text(page, "Lesion saved") == (
        f"Lesion saved: {thumb} — 12.0 mm. Deposit: {TEACHING_DEPOSIT}."
    )
    lesion = CalcinosisLesion.objects.get(radiograph=radiograph)
    assert lesion.tissue == "" and lesion.track.digit == 1  # matched to the thumb deposit
    row = page.locator(f'#lesion-table tr[data-lesion="{lesion.pk}"]')
    assert row.locator("td").nth(0).inner_text() == thumb
    assert row.locator("td").nth(1).inner_text() == "12.0 mm approximate"
    assert row.locator("td").nth(2).inner_text() == TEACHING_DEPOSIT
    assert page.locator("#overlay line.saved").count() == 1  # the drawing stays on the image
    assert page.evaluate("window.sameDocument") is True
    assert save.is_disabled()  # ready for the next lesion: measure again
    assert page.evaluate("window.cspViolations") == []
    test_browser.shot(page, "viewer-01-saved")
    page.close()


def test_the_servers_message_is_shown_next_to_the_form(browser, demo):
    """What the page cannot check (a perpendicular axis longer than the longest) comes back
    from the API as a 400 naming the field, and is shown; nothing is stored."""
    radiograph, image = new_radiograph()
    page = open_viewer(browser, demo, radiograph)
    (x1, y1), (x2, y2) = image.deposit_axis_px
    page.get_by_role("button", name="Measure a new lesion").click()
    for x, y in ((x1, y1), (x2, y2)):
        page.mouse.click(*test_browser.image_point_on_screen(page, x, y))
    page.get_by_role("button", name="Add perpendicular axis").click()
    for x, y in ((x1 - 60, y1 - 60), (x2 + 60, y2 + 60)):  # longer than the longest
        page.mouse.click(*test_browser.image_point_on_screen(page, x, y))
    page.get_by_role("button", name="Digit 1 (thumb), distal phalanx").click()
    page.get_by_role("button", name="Save lesion").click()
    alert = page.locator("#lesion-errors")
    alert.wait_for()
    # The field's label, then the model's own message (imaging.validation) naming the rule.
    assert alert.inner_text().startswith("Perpendicular diameter: ")
    assert "longest diameter" in alert.inner_text()
    assert not CalcinosisLesion.objects.filter(radiograph=radiograph).exists()
    page.close()


def test_edit_a_listed_lesion_then_remove_it_with_a_reason(browser, demo):
    """Stored 12.87 mm reads 12.9 mm in the table and in the form's readout (half-up, one
    decimal); the site is changed in place, then the lesion is removed with its reason."""
    radiograph, _ = new_radiograph()
    lesion = stored_lesion(radiograph, longest_diameter_mm=12.87)
    page = open_viewer(browser, demo, radiograph)
    row = page.locator(f'#lesion-table tr[data-lesion="{lesion.pk}"]')
    assert row.locator("td").nth(1).inner_text() == "12.9 mm"

    row.get_by_role("button", name=f"Edit lesion: {THUMB}").click()
    page.get_by_role("heading", name=f"Edit lesion: {THUMB}").wait_for()
    assert page.inner_text("#f-longest") == "12.9 mm"  # typed in mm: not approximate
    assert page.get_by_label("Segment", exact=True).input_value() == "distal_phalanx"
    page.get_by_role("button", name="Digit 1 (thumb), proximal phalanx").click()
    page.get_by_label("Morphology").select_option("net")
    page.get_by_role("button", name="Save changes").click()
    moved = "Left thumb, proximal phalanx, soft tissue"
    assert status_text(page, "Lesion updated").startswith(f"Lesion updated: {moved} — 12.9 mm.")
    lesion.refresh_from_db()
    assert (lesion.segment, lesion.morphology, lesion.longest_diameter_mm) == (
        "proximal_phalanx",
        "net",
        12.87,
    )
    assert row.locator("td").nth(0).inner_text() == moved
    assert page.get_by_role("heading", name="New lesion").is_visible()

    row.get_by_role("button", name=f"Remove lesion: {moved}").click()
    dialog = page.get_by_role("dialog", name="Remove this lesion?")
    dialog.wait_for()  # opened once the lesion's current ETag is read
    assert dialog.locator("#remove-what").inner_text() == f"{moved} — 12.9 mm."
    dialog.get_by_role("button", name="Remove lesion").click()
    assert "say why" in dialog.locator("#remove-errors").inner_text()  # a reason is required
    dialog.get_by_label("Reason (kept in the audit trail)").fill("Measured on the wrong image")
    test_browser.shot(page, "viewer-02-remove")
    dialog.get_by_role("button", name="Remove lesion").click()
    assert status_text(page, "Lesion removed") == f"Lesion removed: {moved} — 12.9 mm."
    assert row.count() == 0 and "None yet." in page.inner_text("#lesion-table")
    assert not CalcinosisLesion.objects.filter(pk=lesion.pk).exists()
    removal = CalcinosisLesion.history.get(id=lesion.pk, history_type="-")
    assert removal.history_change_reason == "Measured on the wrong image"
    page.close()


def test_a_colleagues_change_is_not_overwritten(browser, demo):
    """The edit carries the ETag read when it was opened; a change made through the API in
    between makes the save a 412 with a clear message, and the colleague's value stays."""
    radiograph, _ = new_radiograph()
    lesion = stored_lesion(radiograph, longest_diameter_mm=9.5)
    page = open_viewer(browser, demo, radiograph)
    page.locator(f'button[data-edit="{lesion.pk}"]').click()
    page.get_by_role("heading", name=f"Edit lesion: {THUMB}").wait_for()

    colleague = APIClient()
    colleague.force_authenticate(get_user_model().objects.get(email=CLINICIAN[0]))
    response = colleague.patch(
        f"/api/v1/lesions/{lesion.pk}/", {"morphology": "plate"}, format="json"
    )
    assert response.status_code == 200

    page.get_by_label("Morphology").select_option("stone")
    page.get_by_role("button", name="Save changes").click()
    alert = page.locator("#lesion-errors")
    alert.wait_for()
    assert "changed by someone else since you opened it" in alert.inner_text()
    assert alert.get_by_role("button", name="Reload the page").is_visible()
    lesion.refresh_from_db()
    assert lesion.morphology == "plate"
    page.close()


def focus_by_tab(page, predicate: str, limit: int = 80) -> None:
    """Press Tab until ``predicate`` (JS, on document.activeElement as ``el``) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => Boolean({predicate}))(document.activeElement)"):
            return
    raise AssertionError(f"never reached by Tab: {predicate}")


def test_keyboard_only_measurement(browser, demo):
    """No mouse on the viewer: Tab to "Measure", Enter; the crosshair starts at the image centre
    (550, 700); Enter sets it; 6 x Shift+Right, 4 x Shift+Down and 3 x Right move it to
    (613, 740); Enter. Hand-worked: dx = 63 px x 0.15 = 9.45 mm, dy = 40 px x 0.15 = 6.0 mm,
    sqrt(9.45^2 + 6.0^2) = sqrt(125.3025) = 11.194 mm, stored 11.19, read 11.2 mm."""
    radiograph, _ = new_radiograph()
    page = open_viewer(browser, demo, radiograph)
    focus_by_tab(page, "el.id === 'measure'")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "stage"
    assert page.locator("#overlay line.crosshair").count() == 2
    page.keyboard.press("Enter")
    for key, times in (("Shift+ArrowRight", 6), ("Shift+ArrowDown", 4), ("ArrowRight", 3)):
        for _ in range(times):
            page.keyboard.press(key)
    assert page.inner_text("#live-mm") == "11.2 mm (approximate)"  # announced (aria-live)
    assert page.get_attribute("#live-mm", "aria-live") == "polite"
    page.keyboard.press("Enter")
    assert page.inner_text("#f-longest") == "11.2 mm (approximate)"

    focus_by_tab(page, "el.getAttribute('aria-label') === 'Digit 1 (thumb), distal phalanx'")
    page.keyboard.press("Enter")
    focus_by_tab(page, "el.id === 'save-lesion'")
    test_browser.shot(page, "viewer-03-keyboard")
    page.keyboard.press("Enter")
    assert status_text(page, "Lesion saved").startswith(
        "Lesion saved: Left thumb, distal phalanx — 11.2 mm."
    )
    lesion = CalcinosisLesion.objects.get(radiograph=radiograph)
    assert lesion.longest_axis_px == [[550, 700], [613, 740]]
    assert lesion.longest_diameter_mm == 11.19
    assert page.evaluate("window.cspViolations") == []
    page.close()


def test_escape_cancels_a_keyboard_measurement(browser, demo):
    radiograph, _ = new_radiograph()
    page = open_viewer(browser, demo, radiograph)
    focus_by_tab(page, "el.id === 'measure'")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+ArrowLeft")
    assert page.inner_text("#live-mm") == "1.5 mm (approximate)"  # 10 px x 0.15 mm
    page.keyboard.press("Escape")
    assert page.locator("#overlay line.crosshair, #overlay .draft").count() == 0
    assert page.inner_text("#measure-status") == "Measuring the longest diameter cancelled."
    assert page.get_by_role("button", name="Save lesion").is_disabled()
    page.close()
