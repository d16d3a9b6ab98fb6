"""Visits (symptoms, mRSS) and calcinosis treatments."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import research_fields as research
from api.scoping import ScopedPrimaryKeyRelatedField
from api.serializers.base import RegistryModelSerializer
from patients.models import TREATMENT_FIELDS, CalcinosisTreatment, Patient, Visit
from patients.mrss import MRSS_SITES
from patients.services import treatment_save, visit_save
from registry.db_rules import RULES

# Out-of-range scores say the database rule's sentence (registry.db_rules), as the forms do;
# DRF would otherwise turn the model's bounds into its own "less than or equal to" message.
RANGE_RULES = (
    "visit_mrss_range",
    "visit_pain_nrs_range",
    "visit_pain_vas_range",
    "visit_chfs_range",
    "visit_digital_ulcers_range",
    "visit_raynaud_range",
)


def _out_of_range(rule: str) -> dict[str, str]:
    return {"min_value": RULES[rule].message, "max_value": RULES[rule].message}


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "properties": {
            site: {"type": "integer", "minimum": 0, "maximum": 3} for site in MRSS_SITES
        },
        "required": list(MRSS_SITES),
        "additionalProperties": False,
        "description": "The 17 modified Rodnan skin score sites, each 0-3; they give mrss_total.",
    }
)
class MrssSitesField(serializers.JSONField):
    pass


class VisitSerializer(RegistryModelSerializer):
    patient = ScopedPrimaryKeyRelatedField(queryset=Patient.objects.all())
    mrss_sites = MrssSitesField(required=False, allow_null=True)
    raynaud_attacks_per_day = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        min_value=0,
        max_value=100,
        required=False,
        allow_null=True,
        coerce_to_string=False,
        error_messages=_out_of_range("visit_raynaud_range"),
    )
    disease_duration_years = serializers.SerializerMethodField(
        help_text="Years from the first non-Raynaud manifestation to this visit (EUSTAR)."
    )
    raynaud_duration_years = serializers.SerializerMethodField(
        help_text="Years from Raynaud onset to this visit."
    )

    research_fields = research.VISIT

    class Meta:
        model = Visit
        fields = [
            "id",
            "patient",
            "date",
            "visit_type",
            "disease_duration_years",
            "raynaud_duration_years",
            "mrss_total",
            "mrss_sites",
            "calcinosis_pain_nrs",
            "calcinosis_pain_vas_mm",
            "ulceration",
            "ulceration_site",
            "infection",
            "infection_site",
            "drainage",
            "drainage_site",
            "chfs_total",
            "digital_ulcer_count",
            "raynaud_attacks_per_day",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            RULES[rule].field: {"error_messages": _out_of_range(rule)} for rule in RANGE_RULES
        }
        validators = []

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_disease_duration_years(self, visit) -> float | None:
        years = visit.patient.disease_duration_years(visit.date)
        return None if years is None else round(years, 2)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_raynaud_duration_years(self, visit) -> float | None:
        years = visit.patient.raynaud_duration_years(visit.date)
        return None if years is None else round(years, 2)

    def save_instance(self, instance):
        return visit_save(visit=instance)


class NestedVisitSerializer(VisitSerializer):
    """``/patients/{id}/visits/``: the patient comes from the URL."""

    patient = serializers.PrimaryKeyRelatedField(read_only=True)


class TreatmentSerializer(RegistryModelSerializer):
    patient = ScopedPrimaryKeyRelatedField(queryset=Patient.objects.all())
    visit = ScopedPrimaryKeyRelatedField(
        queryset=Visit.objects.all(), required=False, allow_null=True
    )

    research_fields = research.TREATMENT

    class Meta:
        model = CalcinosisTreatment
        fields = ["id", "patient", "visit", *TREATMENT_FIELDS]
        validators = []

    def save_instance(self, instance):
        return treatment_save(treatment=instance)
