"""The access log as the API shows it to center admins (their centers' patients only)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from access_log.models import AccessLogEntry
from access_log.visibility import shown_patient_ids


class AccessLogEntrySerializer(serializers.ModelSerializer):
    patients = serializers.SerializerMethodField(
        help_text="Ids of the patients the entry lists that you may audit."
    )

    class Meta:
        model = AccessLogEntry
        fields = [
            "id",
            "at",
            "user",
            "username",
            "kind",
            "route",
            "object_id",
            "address",
            "patients",
            "patient_count",
            "checksum",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_patients(self, entry: AccessLogEntry) -> list[int]:
        return shown_patient_ids(entry)
