"""Editing and deleting patients, visits, radiographs and lesions from the clinic's pages: the
API's services, the audit history, and the ETag that refuses to overwrite a colleague's change."""

from __future__ import annotations

import datetime
import re

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.services import user_add
from clinic.forms import (
    DELETE_REASON_REQUIRED,
    SITE_HAS_LESIONS,
    SPACING_FROM_DICOM,
    SPACING_HAS_MEASUREMENTS,
)
from imaging.models import CalcinosisLesion, DicomInstance, Radiograph
from imaging.validation import PERPENDICULAR_LONGER
from patients.models import Patient, Visit
from patients.mrss import MRSS_SITES
from progression.models import ProgressionState
from registry.etags import etag_for
from tests import factories

pytestmark = pytest.mark.django_db

ALL_ONES = dict.fromkeys(MRSS_SITES, 1)  # 17 sites scored 1: total 17


@pytest.fixture
def clinician(center):
    return user_add(email="doc@north.example", center=center, role="clinician")


@pytest.fixture
def colleague(center):
    user = user_add(email="martin@north.example", center=center, role="center_admin")
    user.first_name, user.last_name = "Anna", "Martin"
    user.save()
    return user


@pytest.fixture
def web(client, clinician):
    client.force_login(clinician)
    return client


@pytest.fixture
def second_browser(colleague):
    client = Client()
    client.force_login(colleague)
    return client


@pytest.fixture
def visit(patient):
    return factories.make_visit(patient, mrss_sites=dict(ALL_ONES))


@pytest.fixture
def radiograph(patient):
    return factories.make_radiograph(patient)


@pytest.fixture
def lesion(radiograph):
    return factories.make_lesion(radiograph)


def opened(client, url: str) -> dict:
    """What a browser sends when the page is saved untouched: every field as shown, the ETag."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    form = response.context["form"]
    data = {"etag": response.context["etag"]}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
        elif isinstance(value, datetime.date):
            data[name] = value.isoformat()
        elif value is not None:
            data[name] = value
    return data


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def edit_url(kind: str, obj) -> str:
    return reverse(f"clinic:{kind}-edit", args=[obj.pk])


def delete_url(kind: str, obj) -> str:
    return reverse(f"clinic:{kind}-delete", args=[obj.pk])


# --- Edit -----------------------------------------------------------------------------------


def test_patient_edit_saves_through_the_service_with_partial_onsets(web, patient):
    """The local id and a month-precision Raynaud onset are saved; the patient page says so."""
    data = opened(web, edit_url("patient", patient))
    data.update(local_id="NEW-LOCAL-7", raynaud_onset_text="2015-06")
    response = web.post(edit_url("patient", patient), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("clinic:patient-detail", args=[patient.pk])
    patient.refresh_from_db()
    assert patient.local_id == "NEW-LOCAL-7"
    assert patient.onset("raynaud_onset").isoformat() == "2015-06"  # the month, as typed
    assert patient.raynaud_onset_precision == "month"
    assert flashed(response) == [f"Patient {patient.registry_id} saved."]
    latest = patient.history.latest()
    assert (latest.history_type, latest.history_source) == ("~", "web")


def test_visit_edit_prefills_the_sites_and_recomputes_the_total(web, visit):
    """17 sites at 1 (total 17); face 1 -> 3 and left fingers 1 -> 0 give 17 + 2 - 1 = 18."""
    data = opened(web, edit_url("visit", visit))
    assert data["mrss_face"] == 1 and data["mrss_total"] == 17
    data.update(mrss_face="3", mrss_left_fingers="0")
    response = web.post(edit_url("visit", visit), data)
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.mrss_sites["face"] == 3 and visit.mrss_sites["left_fingers"] == 0
    assert visit.mrss_total == 18
    assert flashed(response) == ["Follow-up visit of Mar 15, 2023 saved."]


def test_visit_edit_clearing_the_sites_keeps_the_typed_total(web, visit):
    data = opened(web, edit_url("visit", visit))
    data.update({f"mrss_{site}": "" for site in MRSS_SITES}, mrss_total="12")
    assert web.post(edit_url("visit", visit), data).status_code == 302
    visit.refresh_from_db()
    assert (visit.mrss_sites, visit.mrss_total) == (None, 12)


def test_visit_edit_errors_answer_next_to_the_field_and_save_nothing(web, visit):
    data = opened(web, edit_url("visit", visit))
    data.update(mrss_face="4", calcinosis_pain_nrs="11")
    response = web.post(edit_url("visit", visit), data)
    assert response.status_code == 400  # refused: the form again, with its errors
    form = response.context["form"]
    assert "mrss_face" in form.errors and "calcinosis_pain_nrs" in form.errors
    assert 'id="id_mrss_face-error"' in response.content.decode()
    visit.refresh_from_db()
    assert (visit.mrss_total, visit.calcinosis_pain_nrs) == (17, None)


def test_radiograph_edit_typed_spacing_is_manual(web, radiograph):
    data = opened(web, edit_url("radiograph", radiograph))
    data.update(view="oblique", spacing_row_mm="0.1", acquired_on="2023-03-16")
    response = web.post(edit_url("radiograph", radiograph), data)
    assert response.status_code == 302, response.context["form"].errors
    radiograph.refresh_from_db()
    assert radiograph.view == "oblique"
    assert radiograph.acquired_on == datetime.date(2023, 3, 16)
    assert radiograph.pixel_spacing_mm == (0.1, 0.1)  # columns empty: square pixels
    assert radiograph.pixel_spacing_source == "manual"


def test_radiograph_edit_refuses_to_type_over_a_dicom_spacing_silently(web, patient):
    radiograph = factories.make_radiograph(
        patient,
        pixel_spacing_row_mm=0.15,
        pixel_spacing_column_mm=0.15,
        pixel_spacing_source="projection",
    )
    url = edit_url("radiograph", radiograph)
    data = opened(web, url)
    assert "replace_dicom_spacing" not in data
    data.update(spacing_row_mm="0.2", spacing_column_mm="0.2")
    response = web.post(url, data)
    assert response.status_code == 400  # refused: the form again, with its errors
    source = "Detector plane (ImagerPixelSpacing), approximate".lower()
    assert response.context["form"].errors["spacing_row_mm"] == [
        SPACING_FROM_DICOM.format(source=source)
    ]
    radiograph.refresh_from_db()
    assert (radiograph.pixel_spacing_mm, radiograph.pixel_spacing_source) == (
        (0.15, 0.15),
        "projection",
    )
    # Other fields still save while the DICOM spacing is left as it is.
    data.update(spacing_row_mm="0.15", spacing_column_mm="0.15", view="ap")
    assert web.post(url, data).status_code == 302
    radiograph.refresh_from_db()
    assert (radiograph.view, radiograph.pixel_spacing_source) == ("ap", "projection")
    # Replacing it on purpose makes it a manual spacing.
    data = opened(web, url)
    data.update(spacing_row_mm="0.2", spacing_column_mm="0.2", replace_dicom_spacing="on")
    assert web.post(url, data).status_code == 302
    radiograph.refresh_from_db()
    assert (radiograph.pixel_spacing_mm, radiograph.pixel_spacing_source) == ((0.2, 0.2), "manual")


def test_radiograph_edit_keeps_the_spacing_of_lesions_measured_on_the_image(web, patient):
    """A lesion of 100 px at 0.1 mm/px is 10 mm; a new spacing would leave that number wrong."""
    radiograph = factories.make_radiograph(
        patient,
        pixel_spacing_row_mm=0.1,
        pixel_spacing_column_mm=0.1,
        pixel_spacing_source="manual",
    )
    factories.make_lesion(radiograph, longest_axis_px=[[0, 0], [100, 0]])
    url = edit_url("radiograph", radiograph)
    data = opened(web, url)
    data.update(spacing_row_mm="0.2", spacing_column_mm="0.2")
    response = web.post(url, data)
    assert response.context["form"].errors["spacing_row_mm"] == [
        SPACING_HAS_MEASUREMENTS.format(count=1)
    ]
    radiograph.refresh_from_db()
    assert radiograph.pixel_spacing_mm == (0.1, 0.1)


def test_radiograph_edit_keeps_the_region_and_side_of_its_lesions(web, lesion):
    """A lesion's site and deposit are on the radiograph's region and side."""
    url = edit_url("radiograph", lesion.radiograph)
    data = opened(web, url)
    data.update(laterality="right", body_region="foot")
    errors = web.post(url, data).context["form"].errors
    assert errors["laterality"] == [SITE_HAS_LESIONS.format(count=1, what="side")]
    assert errors["body_region"] == [SITE_HAS_LESIONS.format(count=1, what="region")]
    lesion.radiograph.refresh_from_db()
    assert (lesion.radiograph.laterality, lesion.radiograph.body_region) == ("left", "hand")


def test_lesion_edit_typed_in_mm(web, lesion):
    data = opened(web, edit_url("lesion", lesion))
    assert data["longest_diameter_mm"] == 15.0
    data.update(longest_diameter_mm="12.25", perpendicular_diameter_mm="8", morphology="net")
    response = web.post(edit_url("lesion", lesion), data)
    assert response.status_code == 302
    lesion.refresh_from_db()
    assert (lesion.longest_diameter_mm, lesion.perpendicular_diameter_mm) == (12.25, 8.0)
    assert lesion.morphology == "net"
    # One decimal, rounded half-up on the decimal value: 12.25 -> 12.3 (not float's 12.2).
    assert flashed(response) == [
        "Lesion of 12.3 mm (Left thumb, distal phalanx, soft tissue) on the left hand "
        "radiograph (PA) of Mar 15, 2023 saved."
    ]


def test_lesion_edit_refuses_a_perpendicular_longer_than_the_longest(web, lesion):
    data = opened(web, edit_url("lesion", lesion))
    data.update(perpendicular_diameter_mm="20")
    response = web.post(edit_url("lesion", lesion), data)
    assert response.status_code == 400  # refused: the form again, with its errors
    assert PERPENDICULAR_LONGER in response.context["form"].errors["perpendicular_diameter_mm"]
    lesion.refresh_from_db()
    assert lesion.perpendicular_diameter_mm is None


def test_lesion_measured_on_the_image_keeps_the_diameters_of_its_points(web, patient):
    """100 px at 0.15 mm/px = 15.0 mm; a typed diameter is not a field of this form."""
    radiograph = factories.make_radiograph(
        patient,
        pixel_spacing_row_mm=0.15,
        pixel_spacing_column_mm=0.15,
        pixel_spacing_source="calibrated",
    )
    lesion = factories.make_lesion(radiograph, longest_axis_px=[[10, 10], [110, 10]])
    assert lesion.longest_diameter_mm == 15.0
    data = opened(web, edit_url("lesion", lesion))
    assert "longest_diameter_mm" not in data
    data.update(longest_diameter_mm="40", density="dense", segment="middle_phalanx")
    assert web.post(edit_url("lesion", lesion), data).status_code == 302
    lesion.refresh_from_db()
    assert (lesion.longest_diameter_mm, lesion.density, lesion.segment) == (
        15.0,
        "dense",
        "middle_phalanx",
    )
    assert lesion.measurement_source == "pixels"


def test_lesion_edit_offers_the_deposits_of_its_series_by_name(web, patient, radiograph):
    lesion = factories.make_lesion(radiograph, track=factories.make_track(patient))
    other_side = factories.make_track(patient, laterality="right")
    response = web.get(edit_url("lesion", lesion))
    choices = dict(response.context["form"].fields["track"].choices)
    assert lesion.track_id in {int(str(key)) for key in choices if key}
    assert other_side.pk not in {int(str(key)) for key in choices if key}
    assert "Left thumb, distal phalanx, soft tissue" in response.content.decode()


# --- Delete ---------------------------------------------------------------------------------


def test_deleting_needs_a_reason(web, visit):
    data = opened(web, delete_url("visit", visit))
    response = web.post(delete_url("visit", visit), {**data, "reason": "   "})
    assert response.status_code == 400  # refused: the form again, with its errors
    assert response.context["form"].errors["reason"] == [DELETE_REASON_REQUIRED]
    assert Visit.objects.filter(pk=visit.pk).exists()


def test_patient_delete_keeps_the_reason_and_goes_to_the_list(web, patient, visit):
    registry_id = patient.registry_id
    data = opened(web, delete_url("patient", patient))
    response = web.post(delete_url("patient", patient), {**data, "reason": "Duplicate\nrecord"})
    assert response["Location"] == reverse("clinic:patient-list")
    assert not Patient.objects.filter(pk=patient.pk).exists()
    deleted = Patient.history.filter(id=patient.pk, history_type="-").get()
    assert deleted.history_change_reason == "Duplicate record"  # one line in the history
    assert flashed(response) == [f"Patient {registry_id} deleted."]


@pytest.mark.parametrize("kind", ["visit", "radiograph", "lesion"])
def test_delete_keeps_the_reason_and_returns_to_the_patient(web, patient, visit, lesion, kind):
    record = {"visit": visit, "radiograph": lesion.radiograph, "lesion": lesion}[kind]
    model = type(record)
    version = ProgressionState.objects.get(patient=patient).data_version
    data = opened(web, delete_url(kind, record))
    response = web.post(delete_url(kind, record), {**data, "reason": "Entered twice"})
    assert response["Location"] == reverse("clinic:patient-detail", args=[patient.pk])
    assert not model.objects.filter(pk=record.pk).exists()
    deleted = model.history.filter(id=record.pk, history_type="-").get()
    assert deleted.history_change_reason == "Entered twice"
    assert deleted.history_user.email == "doc@north.example"
    # Marked for recomputation, as the API's DELETE does (progression.signals).
    assert ProgressionState.objects.get(patient=patient).data_version > version
    assert flashed(response)[0].endswith(" deleted.")


def test_delete_messages_name_the_record_in_words(web, visit, lesion):
    data = opened(web, delete_url("lesion", lesion))
    response = web.post(delete_url("lesion", lesion), {**data, "reason": "wrong image"})
    assert flashed(response) == [
        "Lesion of 15.0 mm (Left thumb, distal phalanx, soft tissue) on the left hand "
        "radiograph (PA) of Mar 15, 2023 deleted."
    ]
    data = opened(web, delete_url("visit", visit))
    response = web.post(delete_url("visit", visit), {**data, "reason": "wrong patient"})
    assert flashed(response) == ["Follow-up visit of Mar 15, 2023 deleted."]


def test_radiograph_delete_takes_its_dicom_image_as_the_api_does(
    web, patient, settings, tmp_path, django_capture_on_commit_callbacks
):
    from imaging.dicom import ingest
    from tests.imaging.dicom_factory import make_dx, to_bytes

    settings.MEDIA_ROOT = str(tmp_path)
    result = ingest.radiograph_ingest(
        to_bytes(make_dx(sop_instance_uid="1.2.826.0.1.3680043.8.498.77")),
        center=patient.center,
        via="cli",
        patient=patient,
    )
    radiograph = Radiograph.objects.get(pk=result.radiograph_id)
    stored = DicomInstance.objects.get(radiograph=radiograph).file.name
    page = web.get(delete_url("radiograph", radiograph)).content.decode()
    assert "The DICOM image received for it, with its previews." in page
    data = opened(web, delete_url("radiograph", radiograph))
    with django_capture_on_commit_callbacks(execute=True):
        web.post(delete_url("radiograph", radiograph), {**data, "reason": "wrong side"})
    assert not DicomInstance.objects.filter(pk=result.instance_id).exists()
    assert not (tmp_path / stored).exists()


# --- A colleague's change -------------------------------------------------------------------


def test_a_stale_visit_edit_is_refused_and_the_first_save_stays(web, second_browser, visit):
    """Two people open the same visit; the second save is refused, with the first's values
    shown beside what was typed and the new ETag; saving again then goes through."""
    url = edit_url("visit", visit)
    mine, theirs = opened(web, url), opened(second_browser, url)
    theirs.update(mrss_face="3")
    assert second_browser.post(url, theirs).status_code == 302
    visit.refresh_from_db()
    assert visit.mrss_total == 19

    mine.update(mrss_face="0", calcinosis_pain_nrs="5")
    response = web.post(url, mine)
    assert response.status_code == 409  # a colleague's change came first
    page = response.content.decode()
    assert re.search(
        r"This visit was changed by someone else since you opened it \(at [^)]+ by Anna Martin\)"
        r"\. Review their version below and save again\.",
        page,
    )
    rows = {row["label"]: row for row in response.context["theirs"]}
    assert (rows["Face"]["stored"], rows["Face"]["typed"]) == ("3", "0")
    assert response.context["form"]["calcinosis_pain_nrs"].value() == "5"  # typed values kept
    visit.refresh_from_db()
    assert (visit.mrss_sites["face"], visit.mrss_total, visit.calcinosis_pain_nrs) == (3, 19, None)
    assert response.context["etag"] == etag_for(visit)

    mine["etag"] = response.context["etag"]
    assert web.post(url, mine).status_code == 302
    visit.refresh_from_db()
    assert (visit.mrss_sites["face"], visit.mrss_total, visit.calcinosis_pain_nrs) == (0, 16, 5)


def test_a_stale_patient_edit_names_the_same_person_in_another_window(web, patient):
    url = edit_url("patient", patient)
    first, second = opened(web, url), opened(web, url)
    second.update(local_id="TAB-2")
    assert web.post(url, second).status_code == 302
    first.update(local_id="TAB-1")
    response = web.post(url, first)
    assert "by you, in another window" in response.context["stale"]
    patient.refresh_from_db()
    assert patient.local_id == "TAB-2"


def test_a_stale_delete_is_refused(web, second_browser, lesion):
    mine = opened(web, delete_url("lesion", lesion))
    theirs = opened(second_browser, edit_url("lesion", lesion))
    theirs.update(longest_diameter_mm="16")
    assert second_browser.post(edit_url("lesion", lesion), theirs).status_code == 302
    response = web.post(delete_url("lesion", lesion), {**mine, "reason": "duplicate"})
    assert response.status_code == 409  # a colleague's change came first
    assert response.context["stale"].startswith(
        "This lesion was changed by someone else since you opened it"
    )
    assert response.context["stale"].endswith("Review their version below and delete again.")
    assert any(fact["value"] == "16.0" for fact in response.context["facts"])  # their version
    assert CalcinosisLesion.objects.filter(pk=lesion.pk).exists()


def test_a_post_without_the_form_version_saves_nothing(web, patient):
    data = opened(web, edit_url("patient", patient))
    del data["etag"]
    data["local_id"] = "NO-ETAG"
    response = web.post(edit_url("patient", patient), data)
    assert response.status_code == 409 and response.context["stale"]  # treated as stale
    patient.refresh_from_db()
    assert patient.local_id != "NO-ETAG"


# --- Who may -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["patient", "visit", "radiograph", "lesion"])
def test_another_centers_record_does_not_exist_here(client, other_center, lesion, visit, kind):
    client.force_login(user_add(email="doc@south.example", center=other_center, role="clinician"))
    record = {
        "patient": lesion.radiograph.patient,
        "visit": visit,
        "radiograph": lesion.radiograph,
        "lesion": lesion,
    }[kind]
    for url in (edit_url(kind, record), delete_url(kind, record)):
        assert client.get(url).status_code == 404
        assert client.post(url, {"reason": "x", "etag": etag_for(record)}).status_code == 404
    assert type(record).objects.filter(pk=record.pk).exists()


def test_researchers_are_refused(client, center, lesion):
    client.force_login(user_add(email="res@north.example", center=center, role="researcher"))
    patient = lesion.radiograph.patient
    for url in (edit_url("patient", patient), delete_url("lesion", lesion)):
        assert client.get(url).status_code == 403
        assert client.post(url, {"reason": "x", "etag": etag_for(lesion)}).status_code == 403
    assert CalcinosisLesion.objects.filter(pk=lesion.pk).exists()


def test_the_patient_page_links_every_edit_and_delete(web, patient, visit, lesion):
    page = web.get(reverse("clinic:patient-detail", args=[patient.pk])).content.decode()
    for kind, record in (
        ("patient", patient),
        ("visit", visit),
        ("radiograph", lesion.radiograph),
        ("lesion", lesion),
    ):
        assert f'href="{edit_url(kind, record)}"' in page
        assert f'href="{delete_url(kind, record)}"' in page
