"""The only writers of consent documents, records and withdrawals, and of the stored state.

Every write recomputes the patient's state per scope (:func:`consent.state.scope_states`) in the
same transaction, so the access rule sees a withdrawal the moment it is committed. Records and
withdrawals are never edited: a correction is a new record or withdrawal (docs/governance.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from accounts.models import Center
from consent import state as consent_state
from consent.models import (
    ConsentDocument,
    ConsentRecord,
    ConsentWithdrawal,
    PatientConsentState,
    Scope,
)
from patients.models import Patient
from patients.validation import today
from registry.db import save_validated

NO_SCOPE = "Choose at least one scope."
UNKNOWN_SCOPE = "Unknown scope {scope!r}; choose among: {allowed}."
IN_THE_FUTURE = "This date is in the future."
NO_TEXT = "Give the document's text or a PDF file."
NOT_A_PDF = "This file is not a PDF (it does not start with %PDF-)."
PDF_TOO_LARGE = "The PDF is larger than {limit} MB (REGISTRY_CONSENT_PDF_MAX_MB)."
DOCUMENT_IN_USE = "Patients signed this document: it cannot be changed or deleted any more."
OTHER_CENTER = "This document belongs to another center than the patient's."
BEFORE_EFFECTIVE = "Signed before the document's effective date ({effective})."
NOT_IN_DOCUMENT = "This document does not grant: {scopes}."
NOT_GRANTED = "Only scopes currently granted can be withdrawn; not granted: {scopes}."
BEFORE_GRANT = "Withdrawn before the consent it withdraws was signed ({since})."
PDF_MAGIC = b"%PDF-"


def scopes_checked(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes as a set; ValidationError naming ``scopes`` when empty or unknown."""
    chosen = frozenset(scopes)
    if not chosen:
        raise ValidationError({"scopes": [NO_SCOPE]})
    for scope in sorted(chosen):
        if scope not in Scope.values:
            allowed = ", ".join(Scope.values)
            raise ValidationError({"scopes": [UNKNOWN_SCOPE.format(scope=scope, allowed=allowed)]})
    return chosen


def _not_future(field: str, value: date) -> None:
    if value > today():
        raise ValidationError({field: [IN_THE_FUTURE]})


def pdf_checked(pdf: File) -> File:
    """``pdf`` if it is a PDF within REGISTRY_CONSENT_PDF_MAX_MB; ValidationError naming
    ``pdf`` otherwise (read from the start, rewound after)."""
    limit = settings.REGISTRY_CONSENT_PDF_MAX_MB
    if pdf.size is None or pdf.size > limit * 1024 * 1024:
        raise ValidationError({"pdf": [PDF_TOO_LARGE.format(limit=limit)]})
    pdf.seek(0)
    head = pdf.read(len(PDF_MAGIC))
    pdf.seek(0)
    if head != PDF_MAGIC:
        raise ValidationError({"pdf": [NOT_A_PDF]})
    return pdf


def _document_fill(document: ConsentDocument, *, pdf: File | None, fields: dict) -> None:
    scopes = fields.pop("scopes", None)
    if scopes is not None:
        for name, value in ConsentDocument.flags(scopes_checked(scopes)).items():
            setattr(document, name, value)
    for name, value in fields.items():
        setattr(document, name, value)
    if pdf is not None:
        document.pdf.save(pdf_checked(pdf).name or "consent.pdf", pdf, save=False)
    if not document.text.strip() and not document.pdf:
        raise ValidationError({"text": [NO_TEXT]})


@transaction.atomic
def consent_document_create(
    *,
    center: Center,
    title: str,
    version: str,
    language: str,
    effective_on: date,
    ethics_reference: str,
    scopes: Iterable[str],
    text: str = "",
    pdf: File | None = None,
) -> ConsentDocument:
    """A new document version of ``center``."""
    document = ConsentDocument(center=center)
    fields = {
        "title": title,
        "version": version,
        "language": language,
        "effective_on": effective_on,
        "ethics_reference": ethics_reference,
        "text": text,
        "scopes": scopes,
    }
    _document_fill(document, pdf=pdf, fields=fields)
    return save_validated(document)


def _unused(document: ConsentDocument) -> None:
    if document.records.exists():
        raise ValidationError({"non_field_errors": [DOCUMENT_IN_USE]})


@transaction.atomic
def consent_document_update(
    *, document: ConsentDocument, pdf: File | None = None, **fields
) -> ConsentDocument:
    """Correct a document nobody signed yet (a signed one is replaced by a new version)."""
    _unused(document)
    _document_fill(document, pdf=pdf, fields=dict(fields))
    return save_validated(document)


@transaction.atomic
def consent_document_delete(*, document: ConsentDocument) -> None:
    """Delete a document nobody signed, with its PDF."""
    _unused(document)
    name = document.pdf.name
    storage = document.pdf.storage
    document.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def patient_consent_states(*, patient_id: int) -> dict[str, consent_state.ScopeState]:
    """The patient's state per scope, computed now from their records and withdrawals."""
    records = list(ConsentRecord.objects.filter(patient_id=patient_id))
    withdrawals = list(ConsentWithdrawal.objects.filter(patient_id=patient_id))
    dated = [(r.created_at, 0, r.pk, consent_state.Kind.GRANT, r) for r in records]
    dated += [(w.created_at, 1, w.pk, consent_state.Kind.WITHDRAW, w) for w in withdrawals]
    dated.sort(key=lambda item: item[:3])  # the order of recording
    events = []
    for sequence, (_created, _table, _pk, kind, row) in enumerate(dated):
        if kind == consent_state.Kind.GRANT:
            events.append(
                consent_state.Event(kind, row.signed_on, sequence, row.scopes, row.document_id)
            )
        else:
            events.append(consent_state.Event(kind, row.withdrawn_on, sequence, row.scopes))
    return consent_state.scope_states(events, Scope.values)


def _refresh(patient_id: int) -> dict[str, consent_state.ScopeState]:
    states = patient_consent_states(patient_id=patient_id)
    stored = {row.scope: row for row in PatientConsentState.objects.filter(patient_id=patient_id)}
    for scope, computed in states.items():
        values = {
            "state": str(computed.state),
            "since": computed.since,
            "document_id": computed.document_id,
        }
        row = stored.get(scope)
        if row is None:
            PatientConsentState.objects.create(patient_id=patient_id, scope=scope, **values)
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.save()
    return states


@transaction.atomic
def consent_record(
    *,
    patient: Patient,
    document: ConsentDocument,
    signed_on: date,
    scopes: Iterable[str],
    recorded_by,
    note: str = "",
) -> ConsentRecord:
    """Record that ``patient`` signed ``document`` on ``signed_on``, granting ``scopes``."""
    chosen = scopes_checked(scopes)
    if document.center_id != patient.center_id:
        raise ValidationError({"document": [OTHER_CENTER]})
    _not_future("signed_on", signed_on)
    if signed_on < document.effective_on:
        message = BEFORE_EFFECTIVE.format(effective=document.effective_on.isoformat())
        raise ValidationError({"signed_on": [message]})
    missing = chosen - document.scopes
    if missing:
        raise ValidationError(
            {"scopes": [NOT_IN_DOCUMENT.format(scopes=", ".join(sorted(missing)))]}
        )
    Patient.objects.select_for_update().filter(pk=patient.pk).first()  # one writer per patient
    record = ConsentRecord(
        patient=patient,
        document=document,
        signed_on=signed_on,
        recorded_by=recorded_by,
        note=note,
        **ConsentRecord.flags(chosen),
    )
    save_validated(record)
    _refresh(patient.pk)
    return record


@transaction.atomic
def consent_withdraw(
    *,
    patient: Patient,
    withdrawn_on: date,
    scopes: Iterable[str],
    recorded_by,
    reason: str = "",
) -> ConsentWithdrawal:
    """Record that ``patient`` withdrew ``scopes`` (each currently granted) on ``withdrawn_on``.

    A patient with no consent record at all (entered before consent was recorded, and allowed
    for research when REGISTRY_CONSENT_NOT_RECORDED_RESEARCH says so) may object to any scope:
    the objection is a withdrawal, and from then on the patient counts as recorded."""
    chosen = scopes_checked(scopes)
    _not_future("withdrawn_on", withdrawn_on)
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    states = patient_consent_states(patient_id=patient.pk)
    missing = chosen - consent_state.granted(states)
    if all(one.state == consent_state.State.NOT_RECORDED for one in states.values()):
        missing = frozenset()  # an objection of a patient never asked (see above)
    if missing:
        raise ValidationError({"scopes": [NOT_GRANTED.format(scopes=", ".join(sorted(missing)))]})
    latest = max((states[scope].since for scope in chosen if states[scope].since), default=None)
    if latest is not None and withdrawn_on < latest:
        raise ValidationError({"withdrawn_on": [BEFORE_GRANT.format(since=latest.isoformat())]})
    withdrawal = ConsentWithdrawal(
        patient=patient,
        withdrawn_on=withdrawn_on,
        reason=reason,
        recorded_by=recorded_by,
        **ConsentWithdrawal.flags(chosen),
    )
    save_validated(withdrawal)
    _refresh(patient.pk)
    return withdrawal


@transaction.atomic
def consent_record_delete(*, record: ConsentRecord | ConsentWithdrawal) -> None:
    """Delete a record or withdrawal entered in error (superusers only: the API and admin
    check); the state is recomputed and the history keeps the deleted row."""
    patient_id = record.patient_id
    record.delete()
    _refresh(patient_id)
