"""Filter backends: django-filter with unknown query parameters refused, and ordering that
always ends with the primary key so cursor pagination is stable on ties."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions
from rest_framework.filters import OrderingFilter

# Query parameters every list understands besides its filters.
COMMON_PARAMETERS = {"cursor", "page_size", "ordering", "format"}
UNKNOWN_PARAMETER = "Unknown query parameter; allowed: {allowed}."


class StrictFilterBackend(DjangoFilterBackend):
    """A misspelt filter silently returning everything is worse than an error."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        allowed = set(COMMON_PARAMETERS) | set(getattr(view, "extra_query_parameters", ()))
        if filterset_class is not None:
            allowed |= set(filterset_class.base_filters)
            for name, flt in filterset_class.base_filters.items():
                # RangeWidget / DateRangeFilter sub-parameters, e.g. date_after, date_before
                suffixes = getattr(getattr(flt, "field_class", None), "widget", None)
                if suffixes is not None and hasattr(suffixes, "suffixes"):
                    allowed |= {f"{name}_{s}" for s in suffixes.suffixes}
        unknown = sorted(set(request.query_params) - allowed)
        if unknown and getattr(view, "action", None) == "list":
            raise exceptions.ValidationError(
                {
                    name: [UNKNOWN_PARAMETER.format(allowed=", ".join(sorted(allowed)))]
                    for name in unknown
                }
            )
        return super().filter_queryset(request, queryset, view)


class StableOrderingFilter(OrderingFilter):
    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or ["id"])
        if not any(term.lstrip("-") == "id" for term in ordering):
            ordering.append("-id" if ordering[0].startswith("-") else "id")
        return tuple(ordering)
