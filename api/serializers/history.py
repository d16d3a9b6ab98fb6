"""The audit trail of one record: who, when, from where, and what changed."""

from __future__ import annotations

from datetime import date, datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.utc import UtcDateTimeField
from registry.timestamps import utc_iso

HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    date = UtcDateTimeField(source="history_date")
    action = serializers.SerializerMethodField()
    user = serializers.SerializerMethodField()
    source = serializers.CharField(source="history_source")
    remote_addr = serializers.IPAddressField(source="history_remote_addr", allow_null=True)
    reason = serializers.CharField(source="history_change_reason", allow_null=True)
    changes = serializers.SerializerMethodField()

    def get_action(self, record) -> str:
        return HISTORY_TYPES[record.history_type]

    def get_user(self, record) -> str | None:
        return record.history_user.username if record.history_user_id else None

    @extend_schema_field(ChangeSerializer(many=True))
    def get_changes(self, record) -> list[dict]:
        previous = self.context["previous"].get(record.history_id)
        if previous is None:
            return []
        delta = record.diff_against(previous)
        return [
            {"field": change.field, "old": _plain(change.old), "new": _plain(change.new)}
            for change in delta.changes
        ]


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if isinstance(value, datetime):  # an instant, as every instant the API writes
        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
