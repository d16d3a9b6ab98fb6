"""Input and output of the export jobs and of imports (workflow endpoints: their own shapes)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.base import StrictSerializer
from exports.models import FORMAT_HELP, SINGLE_LEVELS, DateMode, ExportJob, Format, Level
from exports.selection import allowed_filters

FILTERS_HELP = (
    "The patient list's filters, as JSON: e.g. {\"center\": [\"demo-north\"], \"ssc_subtype\": "
    "[\"limited_cutaneous\"], \"aca\": \"positive\", \"disease_duration_min\": 5, "
    "\"has_calcinosis\": true, \"visit_date_after\": \"2020-01-01\"}. Allowed: "
)


class ExportRequestSerializer(StrictSerializer):
    level = serializers.ChoiceField(
        choices=Level.choices,
        help_text="What one row is; all: every level as its own file in one package, with the "
        "same patient pseudonyms and date offsets (the data dictionary's joins_to and the "
        "manifest's joins say how the files join). csv_wide takes visits or "
        "progression_timepoints only.",
    )
    format = serializers.ChoiceField(choices=Format.choices, help_text=FORMAT_HELP)
    date_mode = serializers.ChoiceField(
        choices=DateMode.choices,
        required=False,
        help_text="Default: keep for researchers (the only mode open to them), shift for others. "
        "keep: dates as recorded (birth year only); shift: a random offset per patient "
        "(intervals exact); relative: days since the first non-Raynaud manifestation (midpoint "
        "of a partial date: 1 July for a year, the 15th for a month).",
    )
    filters = serializers.DictField(default=dict, help_text=FILTERS_HELP)
    project_key = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        write_only=True,
        help_text="Same key, same pseudonyms and date offsets across this project's exports; "
        "without one, every export has its own. Never shown again.",
    )
    rules = serializers.DictField(
        default=dict,
        help_text="Progression rule overrides (absolute_floor_mm, progression_fraction, "
        "regression_fraction) for the progression_timepoints level and FHIR.",
    )
    generalize = serializers.BooleanField(
        required=False,
        help_text="Generalize the quasi-identifiers (sex, birth, center, subtype, onset and "
        "first visit years) until every patient shares them with at least "
        "REGISTRY_EXPORT_K_ANONYMITY - 1 others: birth years as 5-year bands, small centers "
        "as \"(other)\", dates as relative days (not FHIR), then leave out the patients still "
        "below. Default false; researchers' exports are always generalized while "
        "REGISTRY_EXPORT_RESEARCH_GENERALIZE is on (false is then refused). Every manifest "
        "reports the k-anonymity (re_identification).",
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["filters"].help_text = FILTERS_HELP + ", ".join(allowed_filters()) + "."
        return fields


class ExportJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField(help_text="done / total, 0 to 1.")
    download_url = serializers.SerializerMethodField()
    project_key_used = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "status",
            "done",
            "total",
            "progress",
            "level",
            "format",
            "date_mode",
            "filters",
            "rules",
            "generalize",
            "project_key_used",
            "row_counts",
            "size_bytes",
            "checksum",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "expires_at",
            "download_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.FloatField())
    def get_progress(self, job: ExportJob) -> float:
        if job.status == ExportJob.Status.SUCCEEDED:
            return 1.0
        return round(job.done / job.total, 4) if job.total else 0.0

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_download_url(self, job: ExportJob) -> str | None:
        if job.status != ExportJob.Status.SUCCEEDED:
            return None
        path = reverse("api:export-download", kwargs={"pk": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_project_key_used(self, job: ExportJob) -> bool:
        return bool(job.project_key)


class DictionaryQuerySerializer(StrictSerializer):
    level = serializers.ChoiceField(
        choices=[(level.value, level.label) for level in SINGLE_LEVELS]
    )
    date_mode = serializers.ChoiceField(choices=DateMode.choices, default=DateMode.KEEP)


class DictionaryEntrySerializer(serializers.Serializer):
    variable = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField()
    unit = serializers.CharField()
    allowed_values = serializers.CharField()
    code_system = serializers.CharField()
    description = serializers.CharField()
    imported = serializers.CharField(source="import")
    quasi_identifier = serializers.CharField(help_text="yes: the k-anonymity counts it.")


class ImportRequestSerializer(StrictSerializer):
    file = serializers.FileField(
        help_text="CSV in the export's long format (patients, visits, radiographs or lesions) "
        "or its import variant with local_id; UTF-8."
    )
    center = serializers.CharField(
        required=False, help_text="Center code to import into (needed if you have several)."
    )
    dry_run = serializers.BooleanField(
        default=True, help_text="Validate only (the default); false commits, all or nothing."
    )


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="Spreadsheet row (header = 1).")
    column = serializers.CharField(allow_null=True)
    field = serializers.CharField(allow_null=True, help_text="The column (the API's error shape).")
    code = serializers.CharField()
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    level = serializers.CharField()
    rows = serializers.IntegerField()
    dry_run = serializers.BooleanField()
    committed = serializers.BooleanField()
    valid = serializers.BooleanField()
    created = serializers.DictField(child=serializers.IntegerField())
    updated = serializers.DictField(child=serializers.IntegerField())
    unchanged = serializers.DictField(child=serializers.IntegerField())
    errors = ImportErrorSerializer(many=True)
