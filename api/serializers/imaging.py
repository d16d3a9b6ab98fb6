"""Radiographs, findings, lesion tracks and lesions."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import research_fields as research
from api.scoping import ScopedPrimaryKeyRelatedField
from api.serializers.base import RegistryModelSerializer
from api.serializers.dicom import BurnedInStateSerializer
from api.serializers.fields import AxisField
from imaging.choices import APPROXIMATE_SPACING, SpacingSource
from imaging.models import CalcinosisLesion, LesionTrack, Radiograph, RadiographicFinding
from imaging.services import finding_save, lesion_save_matched, radiograph_save, track_save
from patients.models import Patient, Visit

DIAMETER_OR_POINTS = (
    "Give longest_diameter_mm, or longest_axis_px on a radiograph with pixel spacing."
)


@extend_schema_field(
    {
        "type": "array",
        "nullable": True,
        "minItems": 2,
        "maxItems": 2,
        "items": {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 10},
        "description": "mm per pixel as [row spacing, column spacing] (DICOM PixelSpacing order).",
        "example": [0.1, 0.1],
    }
)
class SpacingField(serializers.Field):
    default_error_messages = {
        "invalid": "Give [row, column] spacing in mm per pixel, each > 0 and <= 10."
    }

    def __init__(self, **kwargs):
        super().__init__(source="*", required=False, allow_null=True, **kwargs)

    def to_representation(self, radiograph):
        spacing = radiograph.pixel_spacing_mm
        return list(spacing) if spacing else None

    def validate_empty_values(self, data):
        if data is None:
            return True, {"pixel_spacing_row_mm": None, "pixel_spacing_column_mm": None}
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if (
            not isinstance(data, list)
            or len(data) != 2
            or any(isinstance(v, bool) or not isinstance(v, int | float) for v in data)
            or not all(0 < v <= 10 for v in data)
        ):
            self.fail("invalid")
        return {"pixel_spacing_row_mm": float(data[0]), "pixel_spacing_column_mm": float(data[1])}


class RadiographSerializer(RegistryModelSerializer):
    patient = ScopedPrimaryKeyRelatedField(queryset=Patient.objects.all())
    visit = ScopedPrimaryKeyRelatedField(
        queryset=Visit.objects.all(), required=False, allow_null=True
    )
    pixel_spacing_mm = SpacingField()
    pixel_spacing_approximate = serializers.SerializerMethodField()
    burned_in = BurnedInStateSerializer(
        source="dicom_instance",
        read_only=True,
        allow_null=True,
        help_text="Burned-in text review of the DICOM image (clinicians); null without one.",
    )

    research_fields = research.RADIOGRAPH

    class Meta:
        model = Radiograph
        fields = [
            "id",
            "patient",
            "visit",
            "acquired_on",
            "body_region",
            "laterality",
            "view",
            "pixel_spacing_mm",
            "pixel_spacing_source",
            "pixel_spacing_approximate",
            "study_instance_uid",
            "series_instance_uid",
            "sop_instance_uid",
            "modality",
            "rows",
            "columns",
            "burned_in",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "study_instance_uid",
            "series_instance_uid",
            "sop_instance_uid",
            "modality",
            "rows",
            "columns",
            "created_at",
            "updated_at",
        ]
        validators = []

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_pixel_spacing_approximate(self, radiograph) -> bool | None:
        if not radiograph.pixel_spacing_source:
            return None
        return radiograph.pixel_spacing_source in APPROXIMATE_SPACING

    def validate(self, attrs):
        # Spacing typed in without a source is a manual measurement.
        if attrs.get("pixel_spacing_row_mm") is not None and not attrs.get("pixel_spacing_source"):
            attrs["pixel_spacing_source"] = SpacingSource.MANUAL
        if "pixel_spacing_row_mm" in attrs and attrs["pixel_spacing_row_mm"] is None:
            attrs["pixel_spacing_source"] = ""
        return attrs

    def save_instance(self, instance):
        return radiograph_save(radiograph=instance)


class FindingSerializer(RegistryModelSerializer):
    radiograph = ScopedPrimaryKeyRelatedField(queryset=Radiograph.objects.all())
    research_fields = research.FINDING

    class Meta:
        model = RadiographicFinding
        fields = ["id", "radiograph", "finding", "digit", "segment", "joint", "notes"]
        validators = []

    def save_instance(self, instance):
        return finding_save(finding=instance)


class LesionTrackSerializer(RegistryModelSerializer):
    patient = ScopedPrimaryKeyRelatedField(queryset=Patient.objects.all())
    lesion_count = serializers.SerializerMethodField()
    research_fields = research.LESION_TRACK

    class Meta:
        model = LesionTrack
        fields = [
            "id",
            "patient",
            "body_region",
            "laterality",
            "digit",
            "segment",
            "tissue",
            "label",
            "lesion_count",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        validators = []

    def get_lesion_count(self, track) -> int:
        # Annotated on the viewset's queryset (lists: no query per row); a new track is counted.
        count = getattr(track, "lesion_count", None)
        return track.lesions.count() if count is None else count

    def save_instance(self, instance):
        return track_save(track=instance)


class LesionSerializer(RegistryModelSerializer):
    radiograph = ScopedPrimaryKeyRelatedField(queryset=Radiograph.objects.all())
    patient = serializers.IntegerField(source="radiograph.patient_id", read_only=True)
    track = ScopedPrimaryKeyRelatedField(
        queryset=LesionTrack.objects.all(),
        required=False,
        allow_null=True,
        help_text="The deposit this lesion is, over time; leave empty to match automatically.",
    )
    laterality = serializers.ChoiceField(
        choices=[("left", "Left"), ("right", "Right")],
        required=False,
        help_text="Defaults to the radiograph's side; required on a bilateral radiograph.",
    )
    longest_diameter_mm = serializers.FloatField(
        required=False, help_text="Computed from longest_axis_px when points are given."
    )
    longest_axis_px = AxisField(required=False, allow_null=True)
    perpendicular_axis_px = AxisField(required=False, allow_null=True)
    approximate = serializers.SerializerMethodField(
        help_text="True when the mm values come from an uncalibrated pixel spacing."
    )
    # Declared for the schema: blank (typed in mm) is a value too, which a generated read-only
    # field would leave out of the enum.
    spacing_source = serializers.ChoiceField(
        choices=SpacingSource.choices, allow_blank=True, read_only=True
    )

    research_fields = research.LESION

    class Meta:
        model = CalcinosisLesion
        fields = [
            "id",
            "radiograph",
            "patient",
            "laterality",
            "digit",
            "segment",
            "tissue",
            "longest_diameter_mm",
            "perpendicular_diameter_mm",
            "density",
            "morphology",
            "track",
            "track_assignment",
            "longest_axis_px",
            "perpendicular_axis_px",
            "measurement_source",
            "spacing_source",
            "approximate",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "track_assignment",
            "measurement_source",
            "spacing_source",
            "created_at",
            "updated_at",
        ]
        validators = []

    @extend_schema_field(serializers.BooleanField())
    def get_approximate(self, lesion) -> bool:
        return (
            lesion.measurement_source == "pixels" and lesion.spacing_source in APPROXIMATE_SPACING
        )

    def validate(self, attrs):
        creating = self.instance is None
        has_points = attrs.get("longest_axis_px") or (
            not creating and "longest_axis_px" not in attrs and self.instance.longest_axis_px
        )
        if creating and attrs.get("longest_diameter_mm") is None and not has_points:
            raise serializers.ValidationError(
                {"longest_diameter_mm": [DIAMETER_OR_POINTS]}, code="required"
            )
        if "track" in attrs:
            attrs["track_assignment"] = "user" if attrs["track"] else ""
        return attrs

    def save_instance(self, instance):
        return lesion_save_matched(lesion=instance)


class NestedLesionSerializer(LesionSerializer):
    """``/radiographs/{id}/lesions/``: the radiograph comes from the URL."""

    radiograph = serializers.PrimaryKeyRelatedField(read_only=True)
