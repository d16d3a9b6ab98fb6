"""Erasure and subject access (erasure/): the request and the tombstone's answer."""

from __future__ import annotations

from rest_framework import serializers

from erasure.models import ErasureTombstone


class PatientEraseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Why the patient is erased.")


class ErasureTombstoneSerializer(serializers.ModelSerializer):
    erased_by = serializers.CharField(source="erased_by_label", read_only=True)
    center = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ErasureTombstone
        fields = ["id", "center", "erased_at", "erased_by", "reason", "counts"]
        read_only_fields = fields
