"""Shapes of the progression endpoints (documentation of the JSON the services build), and the
input of rule overrides."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from api.serializers.base import StrictSerializer
from api.utc import UtcDateTimeField
from progression.models import RecomputeJob

RULE_HELP = {
    "absolute_floor_mm": "Minimum absolute change in mm (default 2, RECIST-like floor).",
    "progression_fraction": "Minimum relative growth from the nadir (default 0.25).",
    "regression_fraction": "Minimum relative shrinkage from baseline (default 0.25).",
}


class RulesSerializer(serializers.Serializer):
    absolute_floor_mm = serializers.FloatField(help_text=RULE_HELP["absolute_floor_mm"])
    progression_fraction = serializers.FloatField(help_text=RULE_HELP["progression_fraction"])
    regression_fraction = serializers.FloatField(help_text=RULE_HELP["regression_fraction"])


class TimepointSerializer(serializers.Serializer):
    date = serializers.DateField()
    disease_duration_years = serializers.FloatField(allow_null=True)
    raynaud_duration_years = serializers.FloatField(allow_null=True)
    lesion_count = serializers.IntegerField()
    sum_longest_diameter_mm = serializers.FloatField()
    total_area_mm2 = serializers.FloatField()
    status = serializers.ChoiceField(
        choices=["baseline", "progression", "complete_resolution", "regression", "stable"]
    )
    new_tracks = serializers.ListField(child=serializers.CharField())


class SeriesSerializer(serializers.Serializer):
    body_region = serializers.CharField()
    laterality = serializers.CharField()
    timepoints = TimepointSerializer(many=True)
    growth_rate_mm_per_year = serializers.FloatField(allow_null=True)
    time_to_progression_years = serializers.FloatField(allow_null=True)
    censored_at_years = serializers.FloatField(allow_null=True)


class ObservationSerializer(serializers.Serializer):
    date = serializers.DateField()
    longest_diameter_mm = serializers.FloatField(allow_null=True)
    status = serializers.ChoiceField(
        choices=["baseline", "new", "progressed", "regressed", "stable", "resolved"]
    )


class TrackSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        allow_null=True,
        help_text="Lesion track id; null when a rule "
        "override would create a track that is not stored.",
    )
    key = serializers.CharField()
    site = serializers.DictField()
    observations = ObservationSerializer(many=True)


# Served by a viewset's ``list`` action but one object, not an array (the schema said array).
@extend_schema_serializer(many=False)
class ProgressionSerializer(serializers.Serializer):
    status = serializers.CharField(
        help_text="progression, stable, regression, complete_resolution, baseline or no_radiograph."
    )
    computed_at = UtcDateTimeField(allow_null=True)
    stale = serializers.BooleanField(
        help_text="Data or rules changed since; a recomputation is queued."
    )
    rules = RulesSerializer()
    series = SeriesSerializer(many=True)
    tracks = TrackSerializer(many=True)


class CohortRecomputeSerializer(StrictSerializer):
    rules = RulesSerializer(required=False, help_text="Defaults to the registry's rules.")


class RecomputeJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = RecomputeJob
        fields = [
            "id",
            "status",
            "done",
            "total",
            "failures",
            "progress",
            "parent",
            "rules",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_progress(self, job) -> float:
        return round(job.done / job.total, 4) if job.total else 1.0
