"""Filters of the center list, and the center-code filter other lists select centers with."""

from __future__ import annotations

import django_filters as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.models import Center
from registry.filtersets import ScopedFilterSet


@extend_schema_field(OpenApiTypes.STR)
class CenterCodeFilter(filters.ModelMultipleChoiceFilter):
    """Center codes; repeat the parameter for several."""


class CenterFilterSet(ScopedFilterSet):

    class Meta:
        model = Center
        fields = ["code"]
