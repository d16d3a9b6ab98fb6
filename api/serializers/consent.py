"""Consent documents, a patient's consent records and withdrawals, their computed state, and the
list of patients whose consent is missing or on a superseded document. Researchers read none of
it (the consent rows have ``access_research = False``); every write calls :mod:`consent.services`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.serializers import as_serializer_error

from accounts.access import Action, restrict
from accounts.models import Center
from api.scoping import ScopedPrimaryKeyRelatedField
from api.serializers.base import StrictMixin
from consent import services
from consent.models import (
    ConsentDocument,
    ConsentRecord,
    ConsentWithdrawal,
    PatientConsentState,
    Scope,
)
from consent.selection import MISSING, SUPERSEDED, consent_state_of

NOT_YOUR_CENTER = "Choose a center you administer."


def _service(call, **kwargs):
    try:
        return call(**kwargs)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(as_serializer_error(exc)) from exc


class ScopesField(serializers.MultipleChoiceField):
    """The scopes as a sorted list (stored as one boolean per scope)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=Scope.choices, **kwargs)

    def to_representation(self, value):
        return sorted(value)

    def to_internal_value(self, data):
        return sorted(super().to_internal_value(data))


class AdministeredCenterField(serializers.SlugRelatedField):
    """A center code among the centers the user administers (another's: 400 naming it)."""

    default_error_messages = {"does_not_exist": NOT_YOUR_CENTER, "invalid": NOT_YOUR_CENTER}

    def __init__(self, **kwargs) -> None:
        super().__init__(slug_field="code", queryset=Center.objects.all(), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        queryset = super().get_queryset()
        return restrict(queryset, request.user, Action.ADMINISTER) if request else queryset.none()


class ConsentDocumentSerializer(StrictMixin, serializers.ModelSerializer):
    center = AdministeredCenterField()
    scopes = ScopesField()
    pdf = serializers.FileField(write_only=True, required=False, allow_null=True)
    has_pdf = serializers.SerializerMethodField()
    superseded = serializers.SerializerMethodField()

    class Meta:
        model = ConsentDocument
        fields = [
            "id",
            "center",
            "title",
            "version",
            "language",
            "effective_on",
            "ethics_reference",
            "text",
            "scopes",
            "pdf",
            "has_pdf",
            "superseded",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        validators = []

    def get_has_pdf(self, document: ConsentDocument) -> bool:
        return bool(document.pdf)

    def get_superseded(self, document: ConsentDocument) -> bool:
        """A newer version exists (same center, title and language, later effective date)."""
        return bool(getattr(document, "superseded", False))

    def create(self, validated_data):
        return _service(services.consent_document_create, **validated_data)

    def update(self, instance, validated_data):
        if "center" in validated_data and validated_data["center"] != instance.center:
            raise serializers.ValidationError({"center": [NOT_YOUR_CENTER]})
        validated_data.pop("center", None)
        return _service(services.consent_document_update, document=instance, **validated_data)


class ConsentRecordSerializer(StrictMixin, serializers.ModelSerializer):
    """A signature; the patient comes from the URL, who recorded it from the request."""

    document = ScopedPrimaryKeyRelatedField(queryset=ConsentDocument.objects.all())
    scopes = ScopesField()
    # Empty for rows recorded by the system (demo seed, imports) or by a deleted account.
    recorded_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ConsentRecord
        fields = [
            "id",
            "patient",
            "document",
            "signed_on",
            "scopes",
            "note",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = ["patient", "created_at"]

    def create(self, validated_data):
        return _service(services.consent_record, **validated_data)


class ConsentWithdrawalSerializer(StrictMixin, serializers.ModelSerializer):
    scopes = ScopesField()
    # Empty for rows recorded by the system (demo seed, imports) or by a deleted account.
    recorded_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ConsentWithdrawal
        fields = ["id", "patient", "withdrawn_on", "scopes", "reason", "recorded_by", "created_at"]
        read_only_fields = ["patient", "created_at"]

    def create(self, validated_data):
        return _service(services.consent_withdraw, **validated_data)


CONSENT_STATE_SCHEMA = {
    "type": "object",
    "description": "Each scope's computed state (granted, withdrawn, not_recorded), since when, "
    "and the document in force.",
    "properties": {
        scope: {
            "type": "object",
            "properties": {
                "state": {"type": "string", "enum": PatientConsentState.State.values},
                "since": {"type": "string", "format": "date", "nullable": True},
                "document": {"type": "integer", "nullable": True},
            },
        }
        for scope in Scope.values
    },
}


class ConsentStateField(serializers.Field):
    """A patient's consent state (read only; from the prefetched ``consent_states``)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, patient):
        return consent_state_of(patient.consent_states.all())


extend_schema_field(CONSENT_STATE_SCHEMA)(ConsentStateField)


class ConsentIssueSerializer(serializers.Serializer):
    """A patient whose consent is missing or on a superseded document (clinical users only)."""

    id = serializers.IntegerField()
    registry_id = serializers.CharField()
    local_id = serializers.CharField()
    center = serializers.CharField(source="center.code")
    issue = serializers.ChoiceField(choices=[MISSING, SUPERSEDED], source="consent_issue")
