"""DICOM upload, its per-file results, and the unmatched queue (never an identifier)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Center
from api.scoping import ScopedPrimaryKeyRelatedField
from api.serializers.base import StrictSerializer
from api.utc import UtcDateTimeField
from imaging.choices import BodyRegion, Laterality, View
from imaging.dicom.burned_in import VERDICTS
from imaging.models import DicomInstance
from patients.models import Patient


class DicomUploadSerializer(StrictSerializer):
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        allow_empty=False,
        help_text="One or more DICOM Part 10 files (multipart field `files`, repeated).",
    )
    patient = ScopedPrimaryKeyRelatedField(
        queryset=Patient.objects.all(),
        required=False,
        help_text="The patient of every file, instead of matching each file's Patient ID.",
    )
    center = ScopedPrimaryKeyRelatedField(
        queryset=Center.objects.all(),
        required=False,
        help_text="The receiving center; needed only if you work in several and give no patient.",
    )


class DicomFileResultSerializer(serializers.Serializer):
    filename = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["imported", "duplicate", "unmatched", "rejected"])
    reason = serializers.CharField(help_text="Why, as a code; empty when imported.")
    detail = serializers.CharField(help_text="The reason in words.")
    instance = serializers.IntegerField(allow_null=True, help_text="The stored DICOM instance.")
    radiograph = serializers.IntegerField(allow_null=True)
    sop_instance_uid = serializers.CharField(help_text="The de-identified SOP Instance UID.")


class DicomUploadResultSerializer(serializers.Serializer):
    results = DicomFileResultSerializer(many=True)
    counts = serializers.DictField(child=serializers.IntegerField())


class UnmatchedInstanceSerializer(serializers.ModelSerializer):
    """What a clinician needs to recognise an image, and nothing that identifies the patient."""

    pixel_spacing_mm = serializers.SerializerMethodField()
    same_source_count = serializers.IntegerField(
        read_only=True,
        help_text="Other queued images with the same (keyed) Patient ID and issuer.",
    )
    suggested_patient = serializers.PrimaryKeyRelatedField(source="patient", read_only=True)

    class Meta:
        model = DicomInstance
        fields = [
            "id",
            "center",
            "received_at",
            "received_via",
            "unmatched_reason",
            "suggested_patient",
            "same_source_count",
            "study_date",
            "acquired_on",
            "modality",
            "body_part_examined",
            "laterality",
            "view_position",
            "view",
            "rows",
            "columns",
            "pixel_spacing_mm",
            "pixel_spacing_source",
            "burned_in_annotation",
            "preview_status",
        ]
        read_only_fields = fields

    def get_pixel_spacing_mm(self, instance) -> list[float] | None:
        spacing = instance.pixel_spacing_mm
        return list(spacing) if spacing else None


class UnmatchedAssignSerializer(StrictSerializer):
    patient = ScopedPrimaryKeyRelatedField(queryset=Patient.objects.all())
    acquired_on = serializers.DateField(required=False, help_text="If the header has no date.")
    laterality = serializers.ChoiceField(choices=Laterality.choices, required=False)
    view = serializers.ChoiceField(choices=View.choices, required=False)
    body_region = serializers.ChoiceField(choices=BodyRegion.choices, required=False)
    same_source = serializers.BooleanField(
        default=False,
        help_text="Also assign the other queued images of the same source patient.",
    )


class AssignedSerializer(serializers.Serializer):
    instance = serializers.IntegerField()
    radiograph = serializers.IntegerField()


class UnmatchedAssignResultSerializer(serializers.Serializer):
    assigned = AssignedSerializer(many=True)


class BurnedInReviewSerializer(StrictSerializer):
    verdict = serializers.ChoiceField(
        choices=[(v.value, v.label) for v in VERDICTS],
        help_text="What the pixels show; only no_burned_in_text releases the image to researchers.",
    )


class BurnedInStateSerializer(serializers.ModelSerializer):
    """The image's burned-in text state, for clinicians (who reviewed is not research data)."""

    header = serializers.SerializerMethodField(
        help_text="(0028,0301) Burned In Annotation as received: YES, NO, or null when absent."
    )
    verdict = serializers.CharField(
        source="burned_in_verdict", help_text="The review's verdict; empty until reviewed."
    )
    reviewed_at = UtcDateTimeField(source="burned_in_reviewed_at", allow_null=True)
    reviewed_by = serializers.SlugRelatedField(
        source="burned_in_reviewed_by", slug_field="username", read_only=True, allow_null=True
    )
    research_visible = serializers.BooleanField(
        help_text="Whether researchers may see the file and previews."
    )

    class Meta:
        model = DicomInstance
        fields = ["header", "verdict", "reviewed_at", "reviewed_by", "research_visible"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["YES", "NO"], allow_null=True))
    def get_header(self, instance) -> str | None:
        return {True: "YES", False: "NO"}.get(instance.burned_in_annotation)
