"""Demo consent: each demo center's consent form, signed by most demo patients for care,
radiographs and research, so researchers see a cohort after ``make run``.

Left as documented exceptions (for the consent pages and the research rule to show something):
the last two patients of a seeding run have no consent recorded ("not recorded": invisible to
researchers by default) and the third last withdrew research use. Signatures are written in bulk
like the rest of the seed (the state computed by the same pure function as the services'); the
withdrawal goes through :func:`consent.services.consent_withdraw`.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from accounts.models import Center
from consent import state as consent_state
from consent.models import ConsentDocument, ConsentRecord, PatientConsentState, Scope
from consent.services import consent_document_create, consent_withdraw
from patients.models import Patient
from registry.audit import Source
from registry.history_bulk import history_copy_created

DEMO_SCOPES = frozenset({Scope.CARE, Scope.RADIOGRAPHS, Scope.RESEARCH})
EFFECTIVE_ON = date(2010, 1, 1)
SIGNED_ON = date(2020, 1, 15)
WITHDRAWN_ON = date(2024, 6, 1)
WITHOUT_CONSENT = 2  # the last patients of a run: no consent recorded
TITLE = "Registry participation (demo)"


def demo_document(center: Center) -> ConsentDocument:
    """The center's demo consent form (created once)."""
    existing = ConsentDocument.objects.filter(center=center, title=TITLE, version="1").first()
    if existing is not None:
        return existing
    return consent_document_create(
        center=center,
        title=TITLE,
        version="1",
        language="en",
        effective_on=EFFECTIVE_ON,
        ethics_reference="DEMO-EC-2010-01",
        text="Synthetic demo consent: care data, radiographs and pseudonymized research use.",
        scopes=Scope.values,
    )


def _create(model, objs: list) -> list:
    created = model.objects.bulk_create(objs, batch_size=1000)
    history_copy_created(model, [obj.pk for obj in created], source=Source.CLI, reason="seed_demo")
    return created


@transaction.atomic
def demo_consent(patient_ids: list[int]) -> dict[str, int]:
    """Record the demo consent of ``patient_ids`` (new patients of this run, teaching case
    first); returns how many signed, were left without consent, and withdrew."""
    signing = patient_ids[:-WITHOUT_CONSENT] if len(patient_ids) > WITHOUT_CONSENT else []
    patients = list(Patient.objects.filter(pk__in=signing).select_related("center"))
    documents = {c.pk: demo_document(c) for c in {p.center for p in patients}}
    flags = ConsentRecord.flags(DEMO_SCOPES)
    records = _create(
        ConsentRecord,
        [
            ConsentRecord(patient=p, document=documents[p.center_id], signed_on=SIGNED_ON, **flags)
            for p in patients
        ],
    )
    states = []
    for record in records:
        event = consent_state.Event(
            consent_state.Kind.GRANT, SIGNED_ON, 0, DEMO_SCOPES, record.document_id
        )
        for scope, one in consent_state.scope_states([event], Scope.values).items():
            states.append(
                PatientConsentState(
                    patient_id=record.patient_id,
                    scope=scope,
                    state=str(one.state),
                    since=one.since,
                    document_id=one.document_id,
                )
            )
    _create(PatientConsentState, states)
    withdrawn = 0
    if len(patients) > 1:  # never the teaching case (the first)
        consent_withdraw(
            patient=Patient.objects.get(pk=signing[-1]),
            withdrawn_on=WITHDRAWN_ON,
            scopes=[Scope.RESEARCH],
            recorded_by=None,
            reason="Demo: the patient withdrew research use.",
        )
        withdrawn = 1
    return {
        "signed": len(records),
        "without_consent": len(patient_ids) - len(signing),
        "withdrawn": withdrawn,
    }
