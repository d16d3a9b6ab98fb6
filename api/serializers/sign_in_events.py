"""The sign-in audit trail as the API shows it to center admins and superusers."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import SignInEvent


class SignInEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = SignInEvent
        fields = ["id", "at", "kind", "method", "user", "username", "address", "actor", "detail"]
        read_only_fields = fields
