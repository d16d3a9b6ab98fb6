"""Patient representations (clinical and pseudonymized research variants)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import research_fields as research
from accounts.access import Action, access_of, only_center
from accounts.models import Center
from api.serializers.base import (
    RegistryModelSerializer,
    ResearchFieldsMixin,
    StrictSerializer,
)
from api.serializers.consent import ConsentStateField
from api.serializers.fields import PartialDateField
from patients.choices import AUTOANTIBODIES, AntibodyResult
from patients.models import CLASSIFICATION_FIELDS, Patient, SubtypeAssessment, Visit
from patients.services import patient_save

CENTER_REQUIRED = "Choose the center (you belong to several)."
CENTER_UNKNOWN = "Unknown center, or not one of yours."


class AutoantibodiesSerializer(ResearchFieldsMixin, StrictSerializer):
    """Each positive, negative or unknown (unknown is not negative)."""

    research_fields = research.AUTOANTIBODY

    def get_fields(self):
        return self.for_reader(
            {
                key: serializers.ChoiceField(
                    choices=AntibodyResult.choices, source=field, required=False, help_text=label
                )
                for key, (field, label) in AUTOANTIBODIES.items()
            }
        )


class ClassificationSerializer(ResearchFieldsMixin, StrictSerializer):
    """2013 ACR/EULAR items (van den Hoogen 2013); the score itself is computed."""

    research_fields = research.CLASSIFICATION

    def get_fields(self):
        fields = {
            name: serializers.BooleanField(
                required=False, help_text=Patient._meta.get_field(name).verbose_name
            )
            for name in CLASSIFICATION_FIELDS
            if name != "not_applicable_reason"
        }
        fields["not_applicable_reason"] = serializers.CharField(
            required=False, allow_blank=True, max_length=200
        )
        return self.for_reader(fields)


class SubtypeAssessmentSerializer(ResearchFieldsMixin, serializers.ModelSerializer):
    research_fields = research.SUBTYPE_ASSESSMENT

    class Meta:
        model = SubtypeAssessment
        fields = ["assessed_on", "subtype"]


class VisitSummarySerializer(ResearchFieldsMixin, serializers.ModelSerializer):
    research_fields = research.VISIT_SUMMARY
    disease_duration_years = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = ["id", "date", "visit_type", "disease_duration_years"]

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_disease_duration_years(self, visit) -> float | None:
        years = visit.patient.disease_duration_years(visit.date)
        return None if years is None else round(years, 2)


class PatientSerializer(RegistryModelSerializer):
    registry_id = serializers.CharField(read_only=True, help_text="Opaque random registry id.")
    center = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Center.objects.all(),
        required=False,
        error_messages={"does_not_exist": CENTER_UNKNOWN},
    )
    birth_year = serializers.SerializerMethodField()
    raynaud_onset = PartialDateField("raynaud_onset")
    first_non_raynaud_onset = PartialDateField("first_non_raynaud_onset")
    subtype_assessed_on = serializers.DateField(
        write_only=True,
        required=False,
        help_text="Date of this subtype assessment when the subtype changes (default: today).",
    )
    autoantibodies = AutoantibodiesSerializer(source="*", required=False)
    classification = ClassificationSerializer(source="*", required=False)
    acr_eular_2013_score = serializers.IntegerField(read_only=True, allow_null=True)
    meets_acr_eular_2013 = serializers.BooleanField(read_only=True, allow_null=True)
    disease_duration_years = serializers.SerializerMethodField(
        help_text="Years since the first non-Raynaud manifestation (EUSTAR), as of today."
    )
    raynaud_duration_years = serializers.SerializerMethodField(
        help_text="Years since Raynaud onset, as of today."
    )

    research_fields = research.PATIENT

    class Meta:
        model = Patient
        fields = [
            "id",
            "registry_id",
            "center",
            "local_id",
            "sex",
            "birth_date",
            "birth_year",
            "ssc_subtype",
            "subtype_assessed_on",
            "raynaud_onset",
            "first_non_raynaud_onset",
            "diagnosis_date",
            "autoantibodies",
            "classification",
            "acr_eular_2013_score",
            "meets_acr_eular_2013",
            "disease_duration_years",
            "raynaud_duration_years",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []

    def get_birth_year(self, patient) -> int:
        return patient.birth_date.year

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_disease_duration_years(self, patient) -> float | None:
        years = patient.disease_duration_years(timezone.localdate())
        return None if years is None else round(years, 2)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_raynaud_duration_years(self, patient) -> float | None:
        years = patient.raynaud_duration_years(timezone.localdate())
        return None if years is None else round(years, 2)

    def validate_center(self, center: Center) -> Center:
        if not access_of(self.context["request"].user).allows(Action.CHANGE, center.pk):
            raise serializers.ValidationError(CENTER_UNKNOWN, code="does_not_exist")
        return center

    def validate(self, attrs):
        if self.instance is None and "center" not in attrs:
            try:
                attrs["center"] = only_center(self.context["request"].user, Action.CHANGE)
            except ValueError as error:
                raise serializers.ValidationError(
                    {"center": [CENTER_REQUIRED]}, code="required"
                ) from error
        return attrs

    def create(self, validated_data):
        self._assessed_on = validated_data.pop("subtype_assessed_on", None)
        return super().create(validated_data)

    def update(self, instance, validated_data):
        self._assessed_on = validated_data.pop("subtype_assessed_on", None)
        return super().update(instance, validated_data)

    def save_instance(self, instance):
        return patient_save(patient=instance, subtype_assessed_on=self._assessed_on)


class PatientDetailSerializer(PatientSerializer):
    """The detail view adds the subtype history and the visits with the duration at each."""

    subtype_history = SubtypeAssessmentSerializer(
        source="subtype_assessments", many=True, read_only=True
    )
    visits = VisitSummarySerializer(many=True, read_only=True)
    consent = ConsentStateField()  # clinical users only: not in the research allow-list

    class Meta(PatientSerializer.Meta):
        fields = [*PatientSerializer.Meta.fields, "subtype_history", "visits", "consent"]
