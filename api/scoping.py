"""Querysets limited to what the requesting user may see (the 404 rule for other centers)."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import serializers

from api.access import access_for


def scoped(queryset: QuerySet, request, center_path: str) -> QuerySet:
    """Rows whose center (reached through ``center_path``) the user may read."""
    access = access_for(request)
    if access.superuser or access.research:
        return queryset
    return queryset.filter(**{f"{center_path}__in": access.clinical_center_ids})


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key whose choices are limited to the user's centers: another center's id is
    answered exactly like an id that does not exist."""

    def __init__(self, center_path: str, **kwargs):
        self.center_path = center_path
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        queryset = super().get_queryset()
        return scoped(queryset, request, self.center_path) if request else queryset.none()
