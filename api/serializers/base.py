"""Serializer foundations: unknown fields refused, writes through the services, and the
research (pseudonymized) variant of every representation."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.serializers import as_serializer_error

from accounts.access import access_of

UNKNOWN_FIELD = "Unknown field."
NOT_AN_OBJECT = "Expected a JSON object."
NUL_CHARACTER = "Text cannot contain the NUL character (\\u0000)."


def contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False


def is_research(serializer: serializers.BaseSerializer) -> bool:
    request = serializer.context.get("request")
    return request is not None and access_of(request.user).research


class ResearchFieldsMixin:
    # For a researcher, only the fields of ``research_fields`` (an allow-list of
    # accounts.research_fields); a serializer that names none shows a researcher nothing.
    # A comment, not a docstring: drf-spectacular would publish it as the description of
    # every serializer that inherits it.

    research_fields: frozenset[str] = frozenset()

    def get_fields(self):
        return self.for_reader(super().get_fields())

    def for_reader(self, fields: dict) -> dict:
        if is_research(self):
            return {name: field for name, field in fields.items() if name in self.research_fields}
        return fields


class StrictMixin:
    # Refuse input keys the serializer does not know (typos must not be silently dropped).
    # Read-only fields are known, so what a read returns can be written back (round-trip).
    # A comment, not a docstring: drf-spectacular publishes an inherited docstring.

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            raise serializers.ValidationError({"non_field_errors": [NOT_AN_OBJECT]}, code="invalid")
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {
                    name: [serializers.ErrorDetail(UNKNOWN_FIELD, code="unknown_field")]
                    for name in unknown
                }
            )
        # PostgreSQL stores no NUL in text or JSON: refuse it here rather than fail in the database.
        with_nul = sorted(name for name, value in data.items() if contains_nul(value))
        if with_nul:
            raise serializers.ValidationError(
                {
                    name: [serializers.ErrorDetail(NUL_CHARACTER, code="null_character")]
                    for name in with_nul
                }
            )
        return super().to_internal_value(data)


class StrictSerializer(StrictMixin, serializers.Serializer):
    pass


class RegistryModelSerializer(ResearchFieldsMixin, StrictMixin, serializers.ModelSerializer):
    """A model serializer whose create/update call the model's service.

    Researchers see only its ``research_fields`` (:class:`ResearchFieldsMixin`).
    Model validation (``full_clean`` in the service) is the single source of rules, so DRF's
    generated unique validators are switched off (``Meta.validators = []``).
    """

    def save_instance(self, instance):
        """Persist through the model's service (each subclass names its own)."""
        raise NotImplementedError

    def _persist(self, instance):
        try:
            return self.save_instance(instance)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(as_serializer_error(exc)) from exc

    def create(self, validated_data):
        return self._persist(self.Meta.model(**validated_data))

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return self._persist(instance)
