"""The patient page as people read it: deposits named, one rounding, dates in the locale, a
printable summary; and the favicon."""

from datetime import date

import pytest
from django.contrib.staticfiles import finders

from accounts.services import user_add
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client, center):
    client.force_login(
        user_add(email="doc@north.example", center=center, role="clinician", password="x" * 14)
    )
    return client


@pytest.fixture
def followed(center):
    """A left-thumb deposit of 12.25 mm on 14 March 2023, 12.87 mm on 20 September 2024."""
    patient = factories.make_patient(center, birth_date=date(1960, 11, 2))
    for day, mm in ((date(2023, 3, 14), 12.25), (date(2024, 9, 20), 12.87)):
        radiograph = factories.make_radiograph(patient, acquired_on=day)
        factories.make_lesion(radiograph, longest_diameter_mm=mm)
    factories.make_visit(patient, date=date(2023, 3, 14))
    return patient


def test_deposits_are_named_for_people_with_one_rounding(web, followed):
    page = web.get(f"/patients/{followed.pk}/").content.decode()
    assert "Left thumb, distal phalanx, soft tissue — since Mar 2023" in page
    # One decimal, half-up: 12.25 -> 12.3 (not 12.2), 12.87 -> 12.9.
    assert "12.3 mm" in page and "12.9 mm" in page
    assert "12.25" not in page and "12.87" not in page
    # The table's and the timeline's dates in the locale; ISO stays in datetime="...".
    assert '<time datetime="2024-09-20">Sep 20, 2024</time>' in page
    assert '<time datetime="1960-11-02">Nov 2, 1960</time>' in page


def test_patient_page_in_german(web, followed):
    page = web.get(f"/patients/{followed.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "since Mär 2023" in page and ">20. Sep 2024</time>" in page
    assert "12,3 mm" in page and "12,9 mm" in page
    assert "Add follow-up" in page  # the words stay English


def test_patient_page_can_be_printed(web, followed):
    page = web.get(f"/patients/{followed.pk}/").content.decode()
    assert '<button type="button" class="print-button" data-print>Print summary</button>' in page
    assert 'href="/static/clinic/print.css" media="print"' in page
    assert 'class="print-only help" hidden>Printed ' in page
    assert "onclick" not in page  # wired by app.js: the CSP allows no inline script


def test_treatments_are_listed_with_their_dates(web, center):
    from patients.models import CalcinosisTreatment
    from patients.services import treatment_save

    patient = factories.make_patient(center)
    treatment_save(
        treatment=CalcinosisTreatment(
            patient=patient, treatment="diltiazem", started_on=date(2022, 5, 3)
        )
    )
    page = web.get(f"/patients/{patient.pk}/").content.decode()
    assert '<time datetime="2022-05-03">May 3, 2022</time> \N{EN DASH} ongoing' in page


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/clinic/favicon.svg"
    assert finders.find("clinic/favicon.svg")
    assert client.post("/favicon.ico").status_code == 405
