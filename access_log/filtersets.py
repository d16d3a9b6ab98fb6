"""Filters of the access log (API list, CSV): who, since, until, which patient."""

from __future__ import annotations

import django_filters as filters
from django.db.models import QuerySet

from access_log.models import AccessLogEntry
from access_log.visibility import visible_patients
from registry.filtersets import SinceFilter


class AccessLogFilterSet(filters.FilterSet):
    user = filters.NumberFilter(field_name="user_id", help_text="The reader's user id.")
    since = SinceFilter(field_name="at", lookup_expr="gte", help_text="At or after (ISO 8601).")
    until = SinceFilter(field_name="at", lookup_expr="lt", help_text="Before (ISO 8601).")
    patient = filters.NumberFilter(
        method="filter_patient", help_text="Entries that list this patient id."
    )
    kind = filters.ChoiceFilter(choices=AccessLogEntry.Kind.choices)

    class Meta:
        model = AccessLogEntry
        fields = ["user", "since", "until", "patient", "kind"]

    def filter_patient(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        """Only through the patient rows this person may see: filtering on every row of the
        log would tell another center's admin that an id exists, who read it and when."""
        shown = visible_patients(self.request.user).filter(patient_id=value)
        return queryset.filter(pk__in=shown.values("entry_id"))
