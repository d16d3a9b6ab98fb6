"""Which patients need a consent action: none recorded, or a scope granted under a document a
newer version superseded. Querysets only; the caller restricts the patients first."""

from __future__ import annotations

from django.db.models import Case, CharField, Exists, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from consent.models import ConsentDocument, ConsentRecord, PatientConsentState, Scope

MISSING = "missing"
SUPERSEDED = "superseded"


def with_consent_issue(patients: QuerySet) -> QuerySet:
    """``patients`` annotated with ``consent_issue`` (missing, superseded or None)."""
    superseded = ConsentDocument.objects.with_superseded().filter(superseded=True)
    on_superseded = PatientConsentState.objects.filter(
        patient=OuterRef("pk"),
        state=PatientConsentState.State.GRANTED,
        document__in=superseded.values("pk"),
    )
    recorded = ConsentRecord.objects.filter(patient=OuterRef("pk"))
    return patients.annotate(
        consent_issue=Case(
            When(~Exists(recorded), then=Value(MISSING)),
            When(Exists(on_superseded), then=Value(SUPERSEDED)),
            default=Value(None),
            output_field=CharField(),
        )
    )


def with_research_consent(patients: QuerySet) -> QuerySet:
    """:func:`with_consent_issue` plus ``research_consent``: the research scope's state (the
    patient list's badge), in the same query."""
    research = PatientConsentState.objects.filter(patient=OuterRef("pk"), scope=Scope.RESEARCH)
    state = Subquery(research.values("state")[:1])
    return with_consent_issue(patients).annotate(
        research_consent=Coalesce(state, Value(PatientConsentState.State.NOT_RECORDED.value))
    )


def patients_with_consent_issue(patients: QuerySet) -> QuerySet:
    """Only the patients whose consent is missing or on a superseded document."""
    return with_consent_issue(patients).filter(consent_issue__isnull=False)


def consent_state_of(rows) -> dict[str, dict]:
    """Every scope's state from a patient's stored rows (none stored: not recorded)."""
    stored = {row.scope: row for row in rows}
    result = {}
    for scope in Scope.values:
        row = stored.get(scope)
        result[scope] = {
            "state": row.state if row else PatientConsentState.State.NOT_RECORDED,
            "since": row.since if row else None,
            "document": row.document_id if row else None,
        }
    return result
