"""The consent services: validation, the stored state, and documents."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from consent import services
from consent.models import ConsentDocument, PatientConsentState
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return factories.make_patient(consent=False)


def _error(excinfo, field):
    return excinfo.value.message_dict[field][0]


def test_record_stores_the_computed_state(patient):
    """A record stores one state row per scope, granted for the scopes signed."""
    factories.record_consent(patient, scopes=["research"], signed_on=date(2024, 1, 2))
    states = dict(PatientConsentState.objects.filter(patient=patient).values_list("scope", "state"))
    assert states["research"] == "granted"
    assert states["radiographs"] == "not_recorded"
    assert len(states) == 5


def test_withdrawal_updates_the_stored_state(patient):
    """Withdrawing research stores it withdrawn and keeps radiographs granted."""
    factories.record_consent(patient, scopes=["research", "radiographs"])
    services.consent_withdraw(
        patient=patient, withdrawn_on=date(2024, 5, 1), scopes=["research"], recorded_by=None
    )
    states = dict(PatientConsentState.objects.filter(patient=patient).values_list("scope", "state"))
    assert states["research"] == "withdrawn"
    assert states["radiographs"] == "granted"


def test_future_signature_refused(patient):
    """A signature dated tomorrow is refused, naming signed_on."""
    document = factories.make_consent_document(patient.center)
    with pytest.raises(ValidationError) as excinfo:
        services.consent_record(
            patient=patient,
            document=document,
            signed_on=date.today() + timedelta(days=1),
            scopes=["research"],
            recorded_by=None,
        )
    assert _error(excinfo, "signed_on") == services.IN_THE_FUTURE


def test_signature_before_effective_date_refused(patient):
    """Signing before the document took effect is refused."""
    document = factories.make_consent_document(patient.center, effective_on=date(2024, 6, 1))
    with pytest.raises(ValidationError) as excinfo:
        services.consent_record(
            patient=patient,
            document=document,
            signed_on=date(2024, 5, 1),
            scopes=["research"],
            recorded_by=None,
        )
    assert _error(excinfo, "signed_on") == services.BEFORE_EFFECTIVE.format(effective="2024-06-01")


def test_scopes_must_be_the_documents(patient):
    """A scope the document cannot grant is refused, naming scopes."""
    document = factories.make_consent_document(patient.center, scopes=["care"])
    with pytest.raises(ValidationError) as excinfo:
        services.consent_record(
            patient=patient,
            document=document,
            signed_on=date(2024, 5, 1),
            scopes=["care", "research"],
            recorded_by=None,
        )
    assert _error(excinfo, "scopes") == services.NOT_IN_DOCUMENT.format(scopes="research")
    assert not PatientConsentState.objects.filter(patient=patient).exists()


def test_document_of_another_center_refused(patient):
    """A patient cannot sign another center's document."""
    document = factories.make_consent_document(factories.make_center())
    with pytest.raises(ValidationError) as excinfo:
        services.consent_record(
            patient=patient,
            document=document,
            signed_on=date(2024, 5, 1),
            scopes=["care"],
            recorded_by=None,
        )
    assert _error(excinfo, "document") == services.OTHER_CENTER


def test_withdrawal_only_of_granted_scopes(patient):
    """Withdrawing a scope never granted is refused, naming scopes."""
    factories.record_consent(patient, scopes=["care"])
    with pytest.raises(ValidationError) as excinfo:
        services.consent_withdraw(
            patient=patient, withdrawn_on=date(2024, 5, 1), scopes=["research"], recorded_by=None
        )
    assert _error(excinfo, "scopes") == services.NOT_GRANTED.format(scopes="research")


def test_withdrawal_before_the_signature_refused(patient):
    """A withdrawal dated before the consent it withdraws is refused."""
    factories.record_consent(patient, scopes=["research"], signed_on=date(2024, 3, 1))
    with pytest.raises(ValidationError) as excinfo:
        services.consent_withdraw(
            patient=patient, withdrawn_on=date(2024, 2, 1), scopes=["research"], recorded_by=None
        )
    assert _error(excinfo, "withdrawn_on") == services.BEFORE_GRANT.format(since="2024-03-01")


def test_future_withdrawal_refused(patient):
    """A withdrawal dated tomorrow is refused."""
    factories.record_consent(patient, scopes=["research"])
    with pytest.raises(ValidationError) as excinfo:
        services.consent_withdraw(
            patient=patient,
            withdrawn_on=date.today() + timedelta(days=1),
            scopes=["research"],
            recorded_by=None,
        )
    assert _error(excinfo, "withdrawn_on") == services.IN_THE_FUTURE


def test_empty_scopes_refused(patient):
    """A record must name a scope."""
    document = factories.make_consent_document(patient.center)
    with pytest.raises(ValidationError) as excinfo:
        services.consent_record(
            patient=patient,
            document=document,
            signed_on=date(2024, 5, 1),
            scopes=[],
            recorded_by=None,
        )
    assert _error(excinfo, "scopes") == services.NO_SCOPE


def test_pdf_magic_bytes_checked():
    """A file that is not a PDF is refused, naming pdf."""
    fake = SimpleUploadedFile("consent.pdf", b"<html>not a pdf</html>")
    with pytest.raises(ValidationError) as excinfo:
        factories.make_consent_document(factories.make_center(), text="", pdf=fake)
    assert _error(excinfo, "pdf") == services.NOT_A_PDF


def test_pdf_size_limit(settings):
    """A PDF above REGISTRY_CONSENT_PDF_MAX_MB is refused."""
    settings.REGISTRY_CONSENT_PDF_MAX_MB = 0
    pdf = SimpleUploadedFile("consent.pdf", b"%PDF-1.7\n%%EOF\n")
    with pytest.raises(ValidationError) as excinfo:
        factories.make_consent_document(factories.make_center(), text="", pdf=pdf)
    assert _error(excinfo, "pdf") == services.PDF_TOO_LARGE.format(limit=0)


def test_pdf_stored_through_the_storage():
    """A valid PDF is saved through the storage API and readable back."""
    pdf = SimpleUploadedFile("consent.pdf", b"%PDF-1.7\n%%EOF\n")
    document = factories.make_consent_document(factories.make_center(), text="", pdf=pdf)
    with document.pdf.open("rb") as handle:
        assert handle.read().startswith(b"%PDF-")


def test_document_needs_text_or_pdf():
    """A document without text or PDF is refused, naming text."""
    with pytest.raises(ValidationError) as excinfo:
        factories.make_consent_document(factories.make_center(), text="")
    assert _error(excinfo, "text") == services.NO_TEXT


def test_signed_document_cannot_change(patient):
    """A document someone signed cannot be edited or deleted."""
    record = factories.record_consent(patient)
    with pytest.raises(ValidationError) as excinfo:
        services.consent_document_update(document=record.document, title="Other")
    assert _error(excinfo, "non_field_errors") == services.DOCUMENT_IN_USE
    with pytest.raises(ValidationError):
        services.consent_document_delete(document=record.document)


def test_superseded_by_a_later_version():
    """A later effective date of the same center, title and language supersedes a document."""
    center = factories.make_center()
    old = factories.make_consent_document(center, effective_on=date(2020, 1, 1))
    factories.make_consent_document(center, effective_on=date(2023, 1, 1))
    other_language = factories.make_consent_document(
        center, effective_on=date(2019, 1, 1), language="fr"
    )
    flags = dict(ConsentDocument.objects.with_superseded().values_list("pk", "superseded"))
    assert flags[old.pk] is True
    assert flags[other_language.pk] is False


def test_deleting_a_record_recomputes(patient):
    """Deleting the only record leaves the scopes not recorded."""
    record = factories.record_consent(patient)
    services.consent_record_delete(record=record)
    assert set(
        PatientConsentState.objects.filter(patient=patient).values_list("state", flat=True)
    ) == {"not_recorded"}
