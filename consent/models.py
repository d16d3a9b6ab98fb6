"""Consent documents, a patient's consent records and withdrawals, and the computed state.

A document belongs to a center (its center admins manage it) and can grant some of the five
scopes; a record says which document version a patient signed and which of its scopes they
granted; a withdrawal names scopes withdrawn. The state per scope is never typed: the services
compute it (:func:`consent.state.scope_states`) and store it in :class:`PatientConsentState`,
which the access rule (:mod:`accounts.access`) reads to hide patients from researchers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from simple_history.models import HistoricalRecords

from accounts.models import Center
from accounts.restricted import RestrictedQuerySet
from patients.models import Patient
from registry.audit import AuditedHistory


class Scope(models.TextChoices):
    """What a consent can cover (issue 15)."""

    CARE = "care", "Care data in the registry"
    RADIOGRAPHS = "radiographs", "Radiographs"
    RESEARCH = "research", "Pseudonymized research use"
    RECONTACT = "recontact", "Recontact"
    SHARING = "sharing", "Sharing outside the center"


SCOPE_FIELDS = {scope: f"scope_{scope}" for scope in Scope.values}


def any_scope() -> Q:
    query = Q()
    for field in SCOPE_FIELDS.values():
        query |= Q(**{field: True})
    return query


class ScopeFlags(models.Model):
    """The scopes a row names, one boolean each (the same on PostgreSQL and SQLite, and a
    CheckConstraint can require at least one)."""

    scope_care = models.BooleanField("care data in the registry", default=False)
    scope_radiographs = models.BooleanField("radiographs", default=False)
    scope_research = models.BooleanField("pseudonymized research use", default=False)
    scope_recontact = models.BooleanField("recontact", default=False)
    scope_sharing = models.BooleanField("sharing outside the center", default=False)

    class Meta:
        abstract = True

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(s for s, field in SCOPE_FIELDS.items() if getattr(self, field))

    @staticmethod
    def flags(scopes) -> dict[str, bool]:
        return {field: scope in scopes for scope, field in SCOPE_FIELDS.items()}


class ConsentDocumentQuerySet(RestrictedQuerySet):
    def with_superseded(self) -> ConsentDocumentQuerySet:
        """Annotate ``superseded``: a newer version exists (same center, title and language,
        later effective date)."""
        newer = ConsentDocument.objects.filter(
            center=OuterRef("center"),
            title=OuterRef("title"),
            language=OuterRef("language"),
            effective_on__gt=OuterRef("effective_on"),
        )
        return self.annotate(superseded=Exists(newer))


def document_upload_to(instance: ConsentDocument, filename: str) -> str:
    return f"consent-documents/{instance.center_id}/{filename}"


class ConsentDocument(ScopeFlags):
    """One version of a center's consent form, approved by an ethics committee."""

    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="consent_documents")
    title = models.CharField(max_length=200)
    version = models.CharField(max_length=40)
    language = models.CharField(max_length=16, help_text="BCP 47 tag, e.g. en, fr, de-CH.")
    effective_on = models.DateField("effective date")
    ethics_reference = models.CharField("ethics approval reference", max_length=120)
    text = models.TextField(blank=True, default="")
    pdf = models.FileField(
        "PDF", upload_to=document_upload_to, max_length=200, blank=True, default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(bases=[AuditedHistory])
    objects = ConsentDocumentQuerySet.as_manager()

    access_center_path = "center"  # see accounts.access
    access_research = False  # researchers never read consent rows

    class Meta:
        ordering = ["center", "title", "language", "-effective_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["center", "title", "language", "version"],
                name="consentdocument_version_unique",
            ),
            models.CheckConstraint(condition=any_scope(), name="consentdocument_grants_a_scope"),
            models.CheckConstraint(
                condition=~Q(text="") | ~Q(pdf=""), name="consentdocument_has_text_or_pdf"
            ),
            models.CheckConstraint(
                condition=~Q(title="") & ~Q(version="") & ~Q(language=""),
                name="consentdocument_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version} ({self.language})"


class ConsentRecord(ScopeFlags):
    """A patient's signature of one document version; corrections are new records."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consent_records")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="records")
    signed_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(bases=[AuditedHistory])
    objects = RestrictedQuerySet.as_manager()

    access_center_path = "patient__center"  # see accounts.access
    access_research = False

    class Meta:
        ordering = ["patient", "signed_on", "id"]
        constraints = [
            models.CheckConstraint(condition=any_scope(), name="consentrecord_grants_a_scope"),
        ]

    def __str__(self) -> str:
        return f"Consent signed on {self.signed_on}"


class ConsentWithdrawal(ScopeFlags):
    """A patient's withdrawal of some scopes; it takes effect at once for all later output."""

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="consent_withdrawals"
    )
    withdrawn_on = models.DateField()
    reason = models.CharField(max_length=500, blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(bases=[AuditedHistory])
    objects = RestrictedQuerySet.as_manager()

    access_center_path = "patient__center"  # see accounts.access
    access_research = False

    class Meta:
        ordering = ["patient", "withdrawn_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=any_scope(), name="consentwithdrawal_withdraws_a_scope"
            ),
        ]

    def __str__(self) -> str:
        return f"Withdrawal on {self.withdrawn_on}"


class PatientConsentState(models.Model):
    """The computed state of one scope of one patient (consent.state), stored for querying.

    Written only by :mod:`consent.services` in the transaction of the record or withdrawal that
    changed it; a patient without any record has no rows ("not recorded").
    """

    class State(models.TextChoices):
        GRANTED = "granted", "Granted"
        WITHDRAWN = "withdrawn", "Withdrawn"
        NOT_RECORDED = "not_recorded", "Not recorded"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consent_states")
    scope = models.CharField(max_length=12, choices=Scope.choices)
    state = models.CharField(max_length=12, choices=State.choices)
    since = models.DateField(null=True, blank=True)
    document = models.ForeignKey(
        ConsentDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords(bases=[AuditedHistory])
    objects = RestrictedQuerySet.as_manager()

    access_center_path = "patient__center"  # see accounts.access
    access_research = False

    class Meta:
        ordering = ["patient", "scope"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "scope"], name="consentstate_one_per_scope"),
            models.CheckConstraint(
                condition=Q(scope__in=Scope.values), name="consentstate_scope_valid"
            ),
            models.CheckConstraint(
                condition=Q(state="granted", since__isnull=False, document__isnull=False)
                | Q(state="withdrawn", since__isnull=False, document__isnull=True)
                | Q(state="not_recorded", since__isnull=True, document__isnull=True),
                name="consentstate_consistent",
            ),
        ]
        # The access rule's subquery: the patients with one scope granted.
        indexes = [models.Index(fields=["scope", "state", "patient"])]

    def __str__(self) -> str:
        return f"{self.scope}: {self.state}"
