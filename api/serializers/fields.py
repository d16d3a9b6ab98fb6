"""Custom fields: partial onset dates and pixel axes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from imaging.measurement import INVALID_AXIS, ZERO_AXIS, parse_axis
from patients.partial_dates import INVALID_PARTIAL_DATE, PartialDate

PARTIAL_DATE_HELP = (
    "Partial date: YYYY, YYYY-MM or YYYY-MM-DD. Computations take the middle of the period "
    "(a year alone: 1 July; a year and month: the 15th)."
)


@extend_schema_field(
    {
        "type": "string",
        "nullable": True,
        "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$",
        "example": "2015-06",
        "description": PARTIAL_DATE_HELP,
    }
)
class PartialDateField(serializers.Field):
    """Maps ``"2015-06"`` onto a model's ``<name>`` (first day) and ``<name>_precision``."""

    default_error_messages = {"invalid": INVALID_PARTIAL_DATE}

    def __init__(self, model_field: str, **kwargs):
        self.model_field = model_field
        kwargs.setdefault("help_text", PARTIAL_DATE_HELP)
        super().__init__(source="*", allow_null=True, required=False, **kwargs)

    def to_representation(self, instance):
        onset = instance.onset(self.model_field)
        return onset.isoformat() if onset else None

    def validate_empty_values(self, data):
        if data is None:
            return True, {self.model_field: None, f"{self.model_field}_precision": ""}
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            value = PartialDate.parse(data)
        except ValueError:
            self.fail("invalid")
        return {self.model_field: value.start, f"{self.model_field}_precision": value.precision}


@extend_schema_field(
    {
        "type": "array",
        "nullable": True,
        "minItems": 2,
        "maxItems": 2,
        "items": {
            "type": "array",
            "minItems": 2,
            "maxItems": 2,
            "items": {"type": "number", "minimum": 0},
        },
        "description": "Two end points in image pixels, [[x1, y1], [x2, y2]] (column, row).",
        "example": [[812.0, 1404.5], [962.0, 1404.5]],
    }
)
class AxisField(serializers.JSONField):
    default_error_messages = {"invalid": INVALID_AXIS, "zero": ZERO_AXIS}

    def to_internal_value(self, data):
        if data is None:
            return None
        try:
            start, end = parse_axis(data)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from exc
        return [list(start), list(end)]

