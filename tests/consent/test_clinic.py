"""Consent in the clinic: the state on the patient page, the badge in the list, the record and
withdrawal forms (errors shown on the form), and the follow-up list."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.utils.html import escape

from accounts.services import user_add
from consent.models import ConsentRecord, ConsentWithdrawal
from consent.services import BEFORE_EFFECTIVE, NOT_GRANTED
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    center = factories.make_center("clin-c", "Clinic C")
    user = user_add(
        email="clin@c.example", center=center, role="clinician", password=factories.PASSWORD
    )
    client = Client()
    client.force_login(user)
    patient = factories.make_patient(center, consent=False, local_id="LOCAL-CONSENT-1")
    document = factories.make_consent_document(center)
    return {"client": client, "patient": patient, "document": document, "center": center}


def test_patient_page_shows_the_consent_state(setup):
    """The patient page lists every scope's state."""
    factories.record_consent(setup["patient"], scopes=["research"])
    page = setup["client"].get(f"/patients/{setup['patient'].pk}/").content.decode()
    assert 'id="consent-h"' in page
    assert "Pseudonymized research use" in page
    assert "consent-granted" in page and "Not recorded" in page


def test_patient_list_badge(setup):
    """The list shows the research consent badge."""
    page = setup["client"].get("/patients/").content.decode()
    assert "consent-not_recorded" in page
    factories.record_consent(setup["patient"])
    assert "consent-granted" in setup["client"].get("/patients/").content.decode()


def test_record_form_saves_and_redirects(setup):
    """A valid consent form records it and returns to the patient page."""
    url = f"/patients/{setup['patient'].pk}/consent/"
    response = setup["client"].post(
        url,
        {
            "document": setup["document"].pk,
            "signed_on": "2024-02-01",
            "scopes": ["research", "radiographs"],
            "note": "",
        },
    )
    assert response.status_code == 302
    assert ConsentRecord.objects.filter(patient=setup["patient"]).count() == 1


def test_record_form_shows_the_service_refusal(setup):
    """A signature before the effective date is shown on the form; nothing is written."""
    document = factories.make_consent_document(setup["center"], effective_on=date(2024, 6, 1))
    response = setup["client"].post(
        f"/patients/{setup['patient'].pk}/consent/",
        {
            "document": document.pk,
            "signed_on": "2024-05-01",
            "scopes": ["research"],
        },
    )
    assert response.status_code == 200
    assert escape(BEFORE_EFFECTIVE.format(effective="2024-06-01")) in response.content.decode()
    assert not ConsentRecord.objects.exists()


def test_withdrawal_form(setup):
    """A withdrawal of an ungranted scope is refused on the form; a granted one is saved."""
    factories.record_consent(setup["patient"], scopes=["research"])
    url = f"/patients/{setup['patient'].pk}/consent/withdraw/"
    refused = setup["client"].post(url, {"withdrawn_on": "2024-05-01", "scopes": ["sharing"]})
    assert NOT_GRANTED.format(scopes="sharing") in refused.content.decode()
    saved = setup["client"].post(url, {"withdrawn_on": "2024-05-01", "scopes": ["research"]})
    assert saved.status_code == 302
    assert ConsentWithdrawal.objects.filter(patient=setup["patient"]).count() == 1


def test_follow_up_list(setup):
    """Patients without consent are listed; consented ones are not."""
    signed = factories.make_patient(setup["center"], local_id="LOCAL-SIGNED")
    page = setup["client"].get("/consent/follow-up/").content.decode()
    assert "LOCAL-CONSENT-1" in page
    assert signed.local_id not in page


def test_menu_links_the_follow_up_list(setup):
    """The main menu links the consent follow-up page."""
    assert 'href="/consent/follow-up/"' in setup["client"].get("/patients/").content.decode()
