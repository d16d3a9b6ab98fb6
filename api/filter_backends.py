"""Filter backends: django-filter with unknown query parameters refused, and ordering that
always ends with the primary key so cursor pagination is stable on ties.

For a researcher both are limited to the allow-lists of :mod:`accounts.research_fields`: a filter or
an ordering on a value they cannot read answers 400, on every action (DRF filters the queryset of
a detail request too, so ``/patients/5/?birth_date_after=...`` would be an oracle as well).
"""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions
from rest_framework.filters import OrderingFilter

from accounts import research_fields
from accounts.access import access_of
from accounts.filtersets import CenterFilterSet
from imaging.filtersets import (
    FindingFilterSet,
    LesionFilterSet,
    LesionTrackFilterSet,
    RadiographFilterSet,
)
from patients.filtersets import PatientFilterSet, TreatmentFilterSet, VisitFilterSet

# Query parameters every list understands besides its filters.
COMMON_PARAMETERS = {"cursor", "page_size", "ordering", "format"}
UNKNOWN_PARAMETER = "Unknown query parameter; allowed: {allowed}."

# The filter parameters a researcher may use, per filterset: the filtersets live beside their
# models and know nothing of roles; the allow-lists are the API's (accounts.research_fields).
RESEARCH_FILTERS: dict[type, frozenset[str]] = {
    CenterFilterSet: research_fields.CENTER_FILTERS,
    PatientFilterSet: research_fields.PATIENT_FILTERS,
    VisitFilterSet: research_fields.VISIT_FILTERS,
    TreatmentFilterSet: research_fields.TREATMENT_FILTERS,
    RadiographFilterSet: research_fields.RADIOGRAPH_FILTERS,
    FindingFilterSet: research_fields.FINDING_FILTERS,
    LesionTrackFilterSet: research_fields.LESION_TRACK_FILTERS,
    LesionFilterSet: research_fields.LESION_FILTERS,
}


def research_filters(filterset_class) -> frozenset[str]:
    """The parameters of ``filterset_class`` a researcher may use (none unless listed)."""
    return RESEARCH_FILTERS.get(filterset_class, frozenset())


def filter_parameters(filterset_class) -> set[str]:
    """The query parameters a filterset reads, range sub-parameters (``date_after``) included."""
    names: set[str] = set()
    for name, flt in filterset_class.base_filters.items():
        widget = getattr(getattr(flt, "field_class", None), "widget", None)
        suffixes = getattr(widget, "suffixes", None)
        names |= {f"{name}_{s}" for s in suffixes} if suffixes else {name}
    return names


def refuse_for_research(names) -> None:
    """400 naming each parameter a researcher may not use (the message names no value)."""
    names = sorted(names)
    if names:
        raise exceptions.ValidationError({name: [research_fields.NOT_AVAILABLE] for name in names})


class StrictFilterBackend(DjangoFilterBackend):
    """A misspelt filter silently returning everything is worse than an error."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        allowed = set(COMMON_PARAMETERS) | set(getattr(view, "extra_query_parameters", ()))
        if filterset_class is not None:
            allowed |= filter_parameters(filterset_class)
            # The plain names too: a range filter's own name is read by django-filter.
            allowed |= set(filterset_class.base_filters)
        unknown = sorted(set(request.query_params) - allowed)
        if unknown and getattr(view, "action", None) == "list":
            raise exceptions.ValidationError(
                {
                    name: [UNKNOWN_PARAMETER.format(allowed=", ".join(sorted(allowed)))]
                    for name in unknown
                }
            )
        if access_of(request.user).research:
            research = research_filters(filterset_class)
            refuse_for_research(set(request.query_params) - COMMON_PARAMETERS - research)
        return super().filter_queryset(request, queryset, view)


class StableOrderingFilter(OrderingFilter):
    def get_ordering(self, request, queryset, view):
        if access_of(request.user).research:
            self.refuse_research_terms(request, queryset)
        ordering = list(super().get_ordering(request, queryset, view) or ["id"])
        if not any(term.lstrip("-") == "id" for term in ordering):
            ordering.append("-id" if ordering[0].startswith("-") else "id")
        return tuple(ordering)

    def refuse_research_terms(self, request, queryset) -> None:
        raw = request.query_params.get(self.ordering_param)
        if not raw:
            return
        allowed = research_fields.ORDERINGS.get(queryset.model._meta.label_lower, frozenset())
        terms = {term.strip().lstrip("-") for term in raw.split(",")}
        if terms - allowed - {"id"}:
            refuse_for_research([self.ordering_param])
