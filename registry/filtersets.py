"""The base of every app's filtersets (``<app>/filtersets.py``, NetBox's layout): the API's list
endpoints, the clinic's lists and the exports' cohort selection filter through the same classes.

:class:`ScopedFilterSet` refuses a filter naming another center's record as if it did not exist;
:class:`SinceFilter` compares ``updated_since`` in UTC.
"""

from __future__ import annotations

from datetime import UTC

import django_filters as filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from accounts.access import restrict


class ScopedFilterSet(filters.FilterSet):
    """A filter naming another center's record is refused exactly like one naming a record that
    does not exist: otherwise "200 empty" versus "400 invalid choice" leaks its existence.

    Which of its parameters a researcher may use is the API's rule
    (:func:`api.filter_backends.research_filters`), not the filterset's."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is None:
            return
        for flt in self.filters.values():
            if isinstance(flt, filters.ModelChoiceFilter | filters.ModelMultipleChoiceFilter):
                flt.queryset = restrict(flt.queryset, request.user)


class UtcIsoDateTimeField(IsoDateTimeField):
    """ISO 8601 allows offsets up to ±23:59, PostgreSQL only ±15:59: compare in UTC, and refuse a
    date that UTC takes out of the calendar's range instead of failing in the database."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


class SinceFilter(filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
