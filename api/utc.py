"""Every instant the API writes is UTC with ``Z`` (issue #16).

DRF writes a datetime in the current time zone (``DateTimeField.enforce_timezone``), which is the
registry's TIME_ZONE. Only the writing switches to UTC here: requests keep TIME_ZONE, so "today"
(a visit dated today is not in the future) and naive datetimes a client sends mean what they mean
on the clinic's pages (a review finding: switching the whole request to UTC refused today's
visits between midnight and 01:00 in Paris). Hand-written JSON documents use
:func:`registry.timestamps.utc_iso`.
"""

from __future__ import annotations

from datetime import UTC

from django.db import models
from django.utils import timezone
from rest_framework import serializers


class UtcDateTimeField(serializers.DateTimeField):
    """Reads as DRF does; writes UTC ending in ``Z``."""

    def to_representation(self, value):
        with timezone.override(UTC):
            return super().to_representation(value)


def use_utc_for_model_datetimes() -> None:
    """Model serializers map DateTimeField to :class:`UtcDateTimeField` (DRF's field mapping)."""
    serializers.ModelSerializer.serializer_field_mapping[models.DateTimeField] = UtcDateTimeField
